import AsyncTopModel
import Foundation

/// The headless views of a snapshot: `ps` (a flat table) and `pstree` (the tree), as text
/// or JSON.
public enum ProcessTable {
    /// One row of `ps`.
    public struct Row: Codable, Equatable, Sendable {
        public var id: TaskID
        public var name: String
        public var state: String
        public var waitingOn: String?
        public var parent: TaskID?
        /// How it was made: spawned, native, asyncLet, groupChild, main, unstructured, detached.
        public var kind: String
        public var executor: String
        /// The loop it belongs to (a process may serve several on one socket).
        public var loop: String? = nil
        /// Who asked it to stop ("dashboard", "task 4"), when someone did.
        public var cancelRequestedBy: String? = nil
        /// Seconds since the task was created, at the snapshot's time.
        public var age: Double
        /// Where it was spawned ("File.swift:12"), when known.
        public var site: String?
        /// With `--stacks`: where a suspended task waits, innermost first.
        public var stack: [StackFrame]?
        /// With `--stacks`: why a suspended task has no stack.
        public var stackProblem: String?
        /// Its steps' durations and its jobs' scheduling latencies, once it ran (from its
        /// histograms; a task that ran once has its one step's).
        public var stepTime: Percentiles? = nil
        public var latency: Percentiles? = nil
    }

    /// Percentiles of a task's durations, in nanoseconds, and how many there were.
    public struct Percentiles: Codable, Equatable, Sendable {
        public var p50: Nanos
        public var p90: Nanos
        public var p99: Nanos
        public var max: Nanos
        public var count: UInt64

        public init(p50: Nanos, p90: Nanos, p99: Nanos, max: Nanos, count: UInt64) {
            (self.p50, self.p90, self.p99, self.max, self.count) = (p50, p90, p99, max, count)
        }

        public init?(_ histogram: DurationHistogram?) {
            guard let histogram, !histogram.isEmpty else { return nil }
            self.init(p50: histogram.p50, p90: histogram.p90, p99: histogram.p99, max: histogram.max,
                      count: histogram.count)
        }

        /// One value.
        init(only value: Nanos) { self.init(p50: value, p90: value, p99: value, max: value, count: 1) }
    }

    /// What of the stacks to show: none, the program's frames, or every frame.
    public enum Stacks: Sendable {
        case none, own, all
    }

    /// A node of `pstree`.
    public struct Node: Codable, Equatable, Sendable {
        public var id: TaskID
        public var name: String
        /// The loop it belongs to.
        public var loop: String?
        public var state: String
        public var waitingOn: String?
        public var site: String?
        public var stack: [StackFrame]?
        public var stackProblem: String?
        public var children: [Node]
    }

    /// One row per task of every loop, loop by loop, each in id order.
    public static func rows(loops: [Snapshot], stacks: Stacks = .none) -> [Row] {
        loops.flatMap { rows($0, stacks: stacks) }
    }

    /// One row per task, in id order.
    public static func rows(_ snapshot: Snapshot, stacks: Stacks = .none) -> [Row] {
        snapshot.tasks.map { task in
            var waiting: String?
            if case .suspended(let target) = task.state { waiting = target.description }
            var row = Row(id: task.id, name: task.displayName, state: task.state.kind.rawValue, waitingOn: waiting,
                          parent: task.parentID, kind: task.origin.rawValue, executor: task.executor,
                          age: Double(snapshot.takenAt &- min(task.createdAt, snapshot.takenAt)) / 1e9, site: task.site)
            row.loop = snapshot.loopName
            row.cancelRequestedBy = task.cancel?.requestedBy.description
            if let histogram = task.stepHistogram {
                row.stepTime = Percentiles(histogram)
                row.latency = Percentiles(task.latencyHistogram)
            } else if task.steps == 1 {
                // Its one step, once it ended.
                if task.state.kind != .running { row.stepTime = Percentiles(only: task.lastStep) }
                row.latency = Percentiles(only: task.lastLatency)
            }
            if stacks != .none, task.state.kind == .suspended || task.state.kind == .pending {
                if let stack = task.stack {
                    row.stack = stack.frames(all: stacks == .all)
                    row.stackProblem = stack.problem
                } else {
                    row.stackProblem = task.state.kind == .pending ? "not started yet" : "no stack captured"
                }
            }
            return row
        }
    }

    /// The forests of every loop, loop by loop.
    public static func tree(loops: [Snapshot], stacks: Stacks = .none) -> [Node] {
        loops.flatMap { tree($0, stacks: stacks) }
    }

    /// The forest: tasks whose parent is not in the snapshot are roots.
    public static func tree(_ snapshot: Snapshot, stacks: Stacks = .none) -> [Node] {
        let rows = rows(snapshot, stacks: stacks)
        let ids = Set(rows.map(\.id))
        var children: [TaskID: [Row]] = [:]
        for row in rows { if let parent = row.parent, ids.contains(parent) { children[parent, default: []].append(row) } }
        func node(_ row: Row, depth: Int) -> Node {
            Node(id: row.id, name: row.name, loop: row.loop, state: row.state, waitingOn: row.waitingOn, site: row.site,
                 stack: row.stack, stackProblem: row.stackProblem, children: depth > 256 ? [] : (children[row.id] ?? []).map { node($0, depth: depth + 1) })
        }
        return rows.filter { $0.parent.map { !ids.contains($0) } ?? true }.map { node($0, depth: 0) }
    }

    /// The `ps` table as text, columns padded.
    public static func psText(_ snapshot: Snapshot, stacks: Stacks = .none) -> String {
        psText(loops: [snapshot], stacks: stacks)
    }

    /// The `ps` table of every loop, with a LOOP column when there are several.
    public static func psText(loops: [Snapshot], stacks: Stacks = .none) -> String {
        let several = loops.count > 1
        let header = (several ? ["LOOP"] : []) + ["ID", "NAME", "STATE", "WAITING ON", "PARENT", "EXECUTOR", "AGE"]
        let rows = rows(loops: loops, stacks: stacks)
        let body = rows.map { row in
            (several ? [row.loop ?? "-"] : [])
                + [String(row.id), row.name, row.state, row.waitingOn ?? "-", row.parent.map(String.init) ?? "-", row.executor,
                   String(format: "%.1fs", row.age)]
        }
        let all = [header] + body
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        let lines = all.map { cells in
            cells.enumerated().map { column, cell in
                column == cells.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        guard stacks != .none else { return lines.joined(separator: "\n") + "\n" }
        var out = lines[0] + "\n"
        for (row, line) in zip(rows, lines.dropFirst()) {
            out += line + "\n"
            for frameLine in stackLines(row, indent: "    ") { out += frameLine + "\n" }
        }
        return out
    }

    /// `    at FUNCTION (File.swift:LINE)` per frame, innermost first, then the spawn site;
    /// or why there is no stack. Nothing for tasks that are not waiting.
    static func stackLines(_ row: Row, indent: String) -> [String] {
        guard row.stack != nil || row.stackProblem != nil else { return [] }
        var lines = (row.stack ?? []).map { frame in
            "\(indent)at \(frame.function)" + (frame.location.map { " (\($0))" } ?? "")
        }
        if let problem = row.stackProblem { lines.append("\(indent)(\(problem))") }
        if let site = row.site { lines.append("\(indent)spawned at \(site)") }
        return lines
    }

    /// The `pstree` text of every loop: one task per line under its parent; with several
    /// loops, each loop's trees under a line naming it.
    public static func treeText(loops: [Snapshot], stacks: Stacks = .none) -> String {
        guard loops.count > 1 else { return treeText(loops.first ?? Snapshot(), stacks: stacks) }
        return loops.map { loop in
            let trees = treeText(loop, stacks: stacks)
            return "loop \(loop.loopName)\n" + (trees.hasPrefix("no tasks") ? "    (no tasks)\n"
                : trees.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { "    " + $0 }.joined(separator: "\n") + "\n")
        }.joined()
    }

    /// The `pstree` text: one task per line under its parent.
    public static func treeText(_ snapshot: Snapshot, stacks: Stacks = .none) -> String {
        var out = ""
        func line(_ node: Node) -> String {
            "\(node.name) (\(node.id)) \(node.state)" + (node.waitingOn.map { " on \($0)" } ?? "")
        }
        func walk(_ node: Node, prefix: String, last: Bool, root: Bool) {
            out += (root ? "" : prefix + (last ? "└── " : "├── ")) + line(node) + "\n"
            let childPrefix = root ? "" : prefix + (last ? "    " : "│   ")
            let row = Row(id: node.id, name: node.name, state: node.state, parent: nil, kind: "", executor: "", age: 0, site: node.site,
                          stack: node.stack, stackProblem: node.stackProblem)
            let under = childPrefix + (node.children.isEmpty ? "    " : "│   ")
            for frameLine in stackLines(row, indent: under) { out += frameLine + "\n" }
            for (i, child) in node.children.enumerated() {
                walk(child, prefix: childPrefix, last: i == node.children.count - 1, root: false)
            }
        }
        let roots = tree(snapshot, stacks: stacks)
        // An empty answer would look like a failure: say the loop has no tasks.
        if roots.isEmpty { return "no tasks on loop \(snapshot.loopName)\n" }
        for root in roots { walk(root, prefix: "", last: true, root: true) }
        return out
    }

    /// JSON of `value`, pretty-printed with sorted keys.
    public static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self) + "\n"
    }
}

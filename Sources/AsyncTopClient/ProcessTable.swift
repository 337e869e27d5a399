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
        public var executor: String
        /// Seconds since the task was created, at the snapshot's time.
        public var age: Double
    }

    /// A node of `pstree`.
    public struct Node: Codable, Equatable, Sendable {
        public var id: TaskID
        public var name: String
        public var state: String
        public var waitingOn: String?
        public var children: [Node]
    }

    /// One row per task, in id order.
    public static func rows(_ snapshot: Snapshot) -> [Row] {
        snapshot.tasks.map { task in
            var waiting: String?
            if case .suspended(let target) = task.state { waiting = target.description }
            return Row(id: task.id, name: task.displayName, state: task.state.kind.rawValue, waitingOn: waiting,
                       parent: task.parentID, executor: task.executor,
                       age: Double(snapshot.takenAt &- min(task.createdAt, snapshot.takenAt)) / 1e9)
        }
    }

    /// The forest: tasks whose parent is not in the snapshot are roots.
    public static func tree(_ snapshot: Snapshot) -> [Node] {
        let rows = rows(snapshot)
        let ids = Set(rows.map(\.id))
        var children: [TaskID: [Row]] = [:]
        for row in rows { if let parent = row.parent, ids.contains(parent) { children[parent, default: []].append(row) } }
        func node(_ row: Row, depth: Int) -> Node {
            Node(id: row.id, name: row.name, state: row.state, waitingOn: row.waitingOn,
                 children: depth > 256 ? [] : (children[row.id] ?? []).map { node($0, depth: depth + 1) })
        }
        return rows.filter { $0.parent.map { !ids.contains($0) } ?? true }.map { node($0, depth: 0) }
    }

    /// The `ps` table as text, columns padded.
    public static func psText(_ snapshot: Snapshot) -> String {
        let header = ["ID", "NAME", "STATE", "WAITING ON", "PARENT", "EXECUTOR", "AGE"]
        let body = rows(snapshot).map { row in
            [String(row.id), row.name, row.state, row.waitingOn ?? "-", row.parent.map(String.init) ?? "-", row.executor,
             String(format: "%.1fs", row.age)]
        }
        let all = [header] + body
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { cells in
            cells.enumerated().map { column, cell in
                column == cells.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// The `pstree` text: one task per line under its parent.
    public static func treeText(_ snapshot: Snapshot) -> String {
        var out = ""
        func line(_ node: Node) -> String {
            "\(node.name) (\(node.id)) \(node.state)" + (node.waitingOn.map { " on \($0)" } ?? "")
        }
        func walk(_ node: Node, prefix: String, last: Bool, root: Bool) {
            out += (root ? "" : prefix + (last ? "└── " : "├── ")) + line(node) + "\n"
            let childPrefix = root ? "" : prefix + (last ? "    " : "│   ")
            for (i, child) in node.children.enumerated() {
                walk(child, prefix: childPrefix, last: i == node.children.count - 1, root: false)
            }
        }
        let roots = tree(snapshot)
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

/// A node of the wait-for graph: a task or a resource (primitive, queue, future).
public enum WaitNode: Hashable, Codable, Sendable, Comparable, CustomStringConvertible {
    case task(TaskID)
    case resource(UInt64)

    public var description: String {
        switch self {
        case .task(let id): "task \(id)"
        case .resource(let id): "resource #\(id)"
        }
    }

    public static func < (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.task(let x), .task(let y)), (.resource(let x), .resource(let y)): x < y
        case (.task, .resource): true
        case (.resource, .task): false
        }
    }
}

/// One edge: `from` cannot go on until `to` acts. A task waits on a resource, a task or its
/// children; a resource waits on each task holding it.
public struct WaitEdge: Hashable, Codable, Sendable {
    public var from: WaitNode
    public var to: WaitNode
    /// Why: "waits on Lock db", "held by", "awaits", "child".
    public var label: String

    public init(from: WaitNode, to: WaitNode, label: String) {
        self.from = from
        self.to = to
        self.label = label
    }
}

/// Who waits on whom, computed from a snapshot: the basis of the deadlock lint.
///
/// Edges come from the suspended tasks' wait targets (a resource, another task, their
/// unfinished children) and from the resources' holders. A cycle is a set of tasks that
/// can only wake one another: a deadlock.
public struct WaitForGraph: Hashable, Sendable {
    /// Every edge, ordered by source then target.
    public let edges: [WaitEdge]
    /// Each cycle as the nodes met walking it once, starting at its smallest node.
    public let cycles: [[WaitNode]]

    /// Builds the graph of `snapshot` and finds its cycles.
    public init(_ snapshot: Snapshot) {
        var edges: [WaitEdge] = []
        // Unfinished children by parent, built once: a snapshot's `children(of:)` is a scan.
        var liveChildren: [TaskID: [TaskID]] = [:]
        if snapshot.tasks.contains(where: { if case .suspended(.children) = $0.state { true } else { false } }) {
            for task in snapshot.tasks where !task.state.isFinished {
                if let parent = task.parentID { liveChildren[parent, default: []].append(task.id) }
            }
        }
        for task in snapshot.tasks {
            guard case .suspended(let target) = task.state else { continue }
            let from = WaitNode.task(task.id)
            switch target {
            case .resource(_, let id, _):
                edges.append(WaitEdge(from: from, to: .resource(id), label: "waits on \(target)"))
            case .task(let other):
                edges.append(WaitEdge(from: from, to: .task(other), label: "awaits"))
            case .children:
                for child in liveChildren[task.id] ?? [] {
                    edges.append(WaitEdge(from: from, to: .task(child), label: "child"))
                }
            default:
                break
            }
        }
        for resource in snapshot.resources {
            for holder in resource.holders {
                edges.append(WaitEdge(from: .resource(resource.id), to: .task(holder), label: "held by"))
            }
        }
        edges.sort { ($0.from, $0.to) < ($1.from, $1.to) }
        self.edges = edges
        self.cycles = Self.findCycles(edges)
    }

    /// The cycles that include at least one task, for the lint: tasks only, in walk order.
    public var deadlockedTasks: [[TaskID]] {
        cycles.map { cycle in cycle.compactMap { if case .task(let id) = $0 { id } else { nil } } }
            .filter { !$0.isEmpty }
    }

    /// One cycle per strongly connected component that has one (Tarjan's algorithm, iterative).
    static func findCycles(_ edges: [WaitEdge]) -> [[WaitNode]] {
        var adjacency: [WaitNode: [WaitNode]] = [:]
        for edge in edges { adjacency[edge.from, default: []].append(edge.to) }
        let nodes = Set(edges.flatMap { [$0.from, $0.to] }).sorted()
        var index: [WaitNode: Int] = [:]
        var low: [WaitNode: Int] = [:]
        var onStack: Set<WaitNode> = []
        var stack: [WaitNode] = []
        var components: [[WaitNode]] = []
        var counter = 0
        for root in nodes where index[root] == nil {
            // Frames of (node, next successor position).
            var frames: [(WaitNode, Int)] = [(root, 0)]
            index[root] = counter; low[root] = counter; counter += 1
            stack.append(root); onStack.insert(root)
            while let (node, position) = frames.last {
                let successors = adjacency[node] ?? []
                if position < successors.count {
                    frames[frames.count - 1].1 += 1
                    let next = successors[position]
                    if index[next] == nil {
                        index[next] = counter; low[next] = counter; counter += 1
                        stack.append(next); onStack.insert(next)
                        frames.append((next, 0))
                    } else if onStack.contains(next) {
                        low[node] = min(low[node]!, index[next]!)
                    }
                } else {
                    frames.removeLast()
                    if let (parent, _) = frames.last { low[parent] = min(low[parent]!, low[node]!) }
                    if low[node] == index[node] {
                        var component: [WaitNode] = []
                        while let top = stack.popLast() {
                            onStack.remove(top)
                            component.append(top)
                            if top == node { break }
                        }
                        let selfLoop = component.count == 1 && (adjacency[node] ?? []).contains(node)
                        if component.count > 1 || selfLoop { components.append(component) }
                    }
                }
            }
        }
        // Walk each component from its smallest node, staying inside, until a node repeats.
        var cycles: [[WaitNode]] = []
        for component in components {
            let members = Set(component)
            var walk: [WaitNode] = []
            var seen: [WaitNode: Int] = [:]
            var node = component.min()!
            while seen[node] == nil {
                seen[node] = walk.count
                walk.append(node)
                node = (adjacency[node] ?? []).filter(members.contains).min()!
            }
            var cycle = Array(walk[seen[node]!...])
            if let start = cycle.indices.min(by: { cycle[$0] < cycle[$1] }) {
                cycle = Array(cycle[start...] + cycle[..<start])
            }
            cycles.append(cycle)
        }
        return cycles.sorted { $0[0] < $1[0] }
    }
}

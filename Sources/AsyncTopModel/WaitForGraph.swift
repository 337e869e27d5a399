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
        self.cycles = Self.cycles(in: snapshot)
    }

    /// The cycles that include at least one task, for the lint: tasks only, in walk order.
    public var deadlockedTasks: [[TaskID]] {
        cycles.map { cycle in cycle.compactMap { if case .task(let id) = $0 { id } else { nil } } }
            .filter { !$0.isEmpty }
    }

    /// The cycles of `snapshot`'s wait-for graph, exactly as ``cycles`` lists them, without
    /// building the labelled edges: what the deadlock lint needs on every snapshot.
    ///
    /// O(n log n) over flat arrays: 100,000 tasks cost a few milliseconds.
    public static func cycles(in snapshot: Snapshot) -> [[WaitNode]] {
        var scan = WaitScan(capacity: snapshot.tasks.count)
        for (index, task) in snapshot.tasks.enumerated() { scan.add(task, at: index) }
        return cycles(in: snapshot, scan)
    }

    /// The cycles, from a ``WaitScan`` of every task of `snapshot` in order (a caller that
    /// walks the tasks anyway gathers it on the way: the walk, not the search, is the cost).
    ///
    /// Nodes are indices, not hashed values: tasks are `0..<n` in id order and resources
    /// follow in id order, so comparing indices compares nodes. Edges to a task or resource
    /// missing from the snapshot are left out: such a node waits on nothing, so closes no cycle.
    static func cycles(in snapshot: Snapshot, _ scan: WaitScan) -> [[WaitNode]] {
        let tasks = snapshot.tasks, ids = scan.ids
        let n = ids.count
        var resourceIDs = snapshot.resources.map(\.id)
        resourceIDs.sort()
        resourceIDs = resourceIDs.enumerated().filter { $0.offset == 0 || resourceIDs[$0.offset - 1] != $0.element }.map(\.element)
        func search(_ id: UInt64, in sorted: [UInt64]) -> Int? {
            var lo = 0, hi = sorted.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if sorted[mid] < id { lo = mid + 1 } else { hi = mid }
            }
            return lo < sorted.count && sorted[lo] == id ? lo : nil
        }
        func resourceNode(_ id: UInt64) -> Int? { search(id, in: resourceIDs).map { n + $0 } }

        var from: [Int32] = [], to: [Int32] = []
        func edge(_ a: Int, _ b: Int) {
            from.append(Int32(a))
            to.append(Int32(b))
        }
        for (task, target) in scan.taskWaits { if let j = search(target, in: ids) { edge(Int(task), j) } }
        for (task, target) in scan.resourceWaits { if let r = resourceNode(target) { edge(Int(task), r) } }
        if scan.childWaits {
            // A parent waiting on its children waits on each unfinished one.
            for i in 0..<n where !tasks[i].state.isFinished {
                guard let parent = tasks[i].parentID, let p = search(parent, in: ids),
                      case .suspended(.children) = tasks[p].state else { continue }
                edge(p, i)
            }
        }
        for resource in snapshot.resources {
            guard let r = resourceNode(resource.id) else { continue }
            for holder in resource.holders { if let j = search(holder, in: ids) { edge(r, j) } }
        }
        // Only a node that waits on something can be on a cycle: drop the edges into nodes
        // that wait on nothing, a few rounds (each takes the last link off every chain).
        // Most snapshots are left with no edge; the rest search only the nodes still linked.
        let count = n + resourceIDs.count
        var waits = [Bool](repeating: false, count: count)
        for _ in 0..<4 {
            for v in from { waits[Int(v)] = true }
            let kept = from.indices.filter { waits[Int(to[$0])] }
            for v in from { waits[Int(v)] = false }
            if kept.count == from.count { break }
            from = kept.map { from[$0] }
            to = kept.map { to[$0] }
        }
        guard !from.isEmpty else { return [] }
        // The nodes still linked, renumbered in order (so smaller still means smaller).
        for v in from { waits[Int(v)] = true }
        for v in to { waits[Int(v)] = true }
        var compact = [Int32](repeating: -1, count: count)
        var original: [Int] = []
        for v in 0..<count where waits[v] {
            compact[v] = Int32(original.count)
            original.append(v)
        }
        let graph = FlatGraph(nodes: original.count, from: from.map { compact[Int($0)] }, to: to.map { compact[Int($0)] })
        return graph.cycles().map { cycle in
            cycle.map { original[$0] < n ? .task(ids[original[$0]]) : .resource(resourceIDs[original[$0] - n]) }
        }.sorted { $0[0] < $1[0] }
    }
}

/// What the cycle search needs of each task, gathered in one walk over them: ids, and
/// the waits that can close a cycle (on a task, a resource, children).
struct WaitScan {
    private(set) var ids: [TaskID] = []
    /// (task index, awaited task id)
    private(set) var taskWaits: [(Int32, TaskID)] = []
    /// (task index, resource id)
    private(set) var resourceWaits: [(Int32, UInt64)] = []
    private(set) var childWaits = false

    init(capacity: Int) { ids.reserveCapacity(capacity) }

    /// Adds the task at `index` of the snapshot; call it for every task, in order.
    mutating func add(_ task: TaskInfo, at index: Int) {
        ids.append(task.id)
        guard case .suspended(let target) = task.state else { return }
        switch target {
        case .task(let other): taskWaits.append((Int32(index), other))
        case .resource(_, let id, _): resourceWaits.append((Int32(index), id))
        case .children: childWaits = true
        default: break
        }
    }
}

/// A directed graph over nodes `0..<count`, adjacency stored contiguously (CSR).
private struct FlatGraph {
    let count: Int
    /// Successors of node `v` are `targets[start[v] ..< start[v + 1]]`.
    let start: [Int32]
    let targets: [Int32]

    init(nodes: Int, from: [Int32], to: [Int32]) {
        count = nodes
        var start = [Int32](repeating: 0, count: nodes + 1)
        for v in from { start[Int(v) + 1] += 1 }
        for v in 0..<nodes { start[v + 1] += start[v] }
        var fill = start
        var targets = [Int32](repeating: 0, count: from.count)
        for (a, b) in zip(from, to) {
            targets[Int(fill[Int(a)])] = b
            fill[Int(a)] += 1
        }
        self.start = start
        self.targets = targets
    }

    func successors(_ v: Int) -> ArraySlice<Int32> { targets[Int(start[v])..<Int(start[v + 1])] }

    /// One cycle per strongly connected component that has one (Tarjan's algorithm,
    /// iterative), each walked from its smallest node to the smallest successor inside the
    /// component until a node repeats, and started at its smallest node.
    func cycles() -> [[Int]] {
        let unvisited: Int32 = -1
        var index = [Int32](repeating: unvisited, count: count)
        var low = [Int32](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        /// The component of each node that lies on a cycle, else -1.
        var component = [Int32](repeating: -1, count: count)
        var stack: [Int32] = []
        var components: [[Int]] = []
        var counter: Int32 = 0
        // Frames of (node, next successor position).
        var frames: [(node: Int, position: Int32)] = []
        for root in 0..<count where index[root] == unvisited && start[root] < start[root + 1] {
            frames.append((root, start[root]))
            index[root] = counter; low[root] = counter; counter += 1
            stack.append(Int32(root)); onStack[root] = true
            while let (node, position) = frames.last {
                if position < start[node + 1] {
                    frames[frames.count - 1].position += 1
                    let next = Int(targets[Int(position)])
                    if index[next] == unvisited {
                        index[next] = counter; low[next] = counter; counter += 1
                        stack.append(Int32(next)); onStack[next] = true
                        frames.append((next, start[next]))
                    } else if onStack[next] {
                        low[node] = min(low[node], index[next])
                    }
                } else {
                    frames.removeLast()
                    if let (parent, _) = frames.last { low[parent] = min(low[parent], low[node]) }
                    guard low[node] == index[node] else { continue }
                    var members: [Int] = []
                    while let top = stack.popLast().map(Int.init) {
                        onStack[top] = false
                        members.append(top)
                        if top == node { break }
                    }
                    if members.count > 1 || successors(node).contains(Int32(node)) {
                        for member in members { component[member] = Int32(components.count) }
                        components.append(members)
                    }
                }
            }
        }
        var cycles: [[Int]] = []
        var seenAt = [Int32](repeating: -1, count: count)
        for (c, members) in components.enumerated() {
            var walk: [Int] = []
            var node = members.min()!
            while seenAt[node] < 0 {
                seenAt[node] = Int32(walk.count)
                walk.append(node)
                node = Int(successors(node).lazy.filter { component[Int($0)] == Int32(c) }.min()!)
            }
            var cycle = Array(walk[Int(seenAt[node])...])
            for visited in walk { seenAt[visited] = -1 }
            if let first = cycle.indices.min(by: { cycle[$0] < cycle[$1] }) {
                cycle = Array(cycle[first...] + cycle[..<first])
            }
            cycles.append(cycle)
        }
        return cycles
    }
}

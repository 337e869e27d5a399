import AsyncTopModel

/// Parent and child links of a snapshot's tasks, by index into `snapshot.tasks`.
///
/// Built once per snapshot in O(n log n) with flat arrays (children stored contiguously,
/// CSR style), so 100,000 tasks cost a few allocations, not 100,000.
struct TaskForest: Sendable {
    /// Index of each task's parent, or -1 for a root (no parent, or a parent not in the snapshot).
    let parent: [Int32]
    /// Children of task `i` are `children[childStart[i] ..< childStart[i + 1]]`, in id order.
    private let childStart: [Int32]
    private let children: [Int32]
    /// Tasks with no parent in the snapshot, in id order.
    let roots: [Int32]

    init(_ tasks: [TaskInfo]) {
        let n = tasks.count
        var parent = [Int32](repeating: -1, count: n)
        var counts = [Int32](repeating: 0, count: n + 1)
        for (i, task) in tasks.enumerated() {
            guard let pid = task.parentID, let p = Self.index(of: pid, in: tasks), p != i else { continue }
            parent[i] = Int32(p)
            counts[p + 1] += 1
        }
        for i in 0..<n { counts[i + 1] += counts[i] }
        var fill = counts
        var children = [Int32](repeating: 0, count: Int(counts[n]))
        var roots: [Int32] = []
        for i in 0..<n {
            let p = Int(parent[i])
            if p < 0 { roots.append(Int32(i)); continue }
            children[Int(fill[p])] = Int32(i)
            fill[p] += 1
        }
        self.parent = parent
        self.childStart = counts
        self.children = children
        self.roots = roots
    }

    /// The children of task `i`, by index.
    func children(of i: Int) -> ArraySlice<Int32> {
        children[Int(childStart[i])..<Int(childStart[i + 1])]
    }

    /// The index of the task with this id (tasks are ordered by id).
    static func index(of id: TaskID, in tasks: [TaskInfo]) -> Int? {
        var lo = 0, hi = tasks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if tasks[mid].id < id { lo = mid + 1 } else { hi = mid }
        }
        return lo < tasks.count && tasks[lo].id == id ? lo : nil
    }
}

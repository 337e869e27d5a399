import AsyncTopModel

/// Parent and child links of a snapshot's tasks, by index into `snapshot.tasks`.
///
/// Built once per snapshot in O(n log n) with flat arrays (children stored contiguously,
/// CSR style), so 100,000 tasks cost a few allocations, not 100,000.
struct TaskForest: Sendable {
    /// Index of each task's parent, or -1 for a root (no parent, or a parent not in the snapshot).
    let parent: [Int32]
    /// Children of task `i` are `children[childStart[i] ..< childStart[i + 1]]`, in id order.
    let childStart: [Int32]
    let children: [Int32]
    /// Tasks with no parent in the snapshot, in id order.
    let roots: [Int32]

    init(_ tasks: [TaskInfo]) {
        let n = tasks.count
        var parent = [Int32](repeating: -1, count: n)
        var counts = [Int32](repeating: 0, count: n + 1)
        // Ids and parent ids in flat arrays first, in one pass over the task values: the
        // binary searches then stay in cache instead of following a pointer at every step.
        var ids = [TaskID](repeating: 0, count: n)
        var parentIDs = [TaskID](repeating: 0, count: n)
        // Through buffers: writes to captured arrays would each be checked for exclusivity.
        tasks.withUnsafeBufferPointer { tasks in
            ids.withUnsafeMutableBufferPointer { ids in
                parentIDs.withUnsafeMutableBufferPointer { parentIDs in
                    for i in 0..<n {
                        let task = tasks[i]
                        ids[i] = task.id
                        parentIDs[i] = task.parentID ?? 0
                    }
                }
            }
        }
        // Siblings often come one after another (a loop of spawns): the last parent found is
        // tried first.
        var lastParentID: TaskID = 0, lastParent = -1
        for i in 0..<n where parentIDs[i] != 0 {
            let p: Int
            if parentIDs[i] == lastParentID {
                p = lastParent
            } else {
                // Parents come before their children in id order: search only below.
                guard let found = Self.index(of: parentIDs[i], in: ids, below: i) ?? Self.index(of: parentIDs[i], in: ids) else {
                    continue
                }
                p = found
                (lastParentID, lastParent) = (parentIDs[i], found)
            }
            guard p != i else { continue }
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

    /// The index of `id` in ascending `ids`, searching `0..<end`.
    static func index(of id: TaskID, in ids: [TaskID], below end: Int? = nil) -> Int? {
        var lo = 0, hi = end ?? ids.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ids[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        return lo < (end ?? ids.count) && ids[lo] == id ? lo : nil
    }
}

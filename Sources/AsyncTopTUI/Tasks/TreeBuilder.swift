import AsyncTopModel

/// Lays a snapshot's tasks out as a depth-first tree of rows, in O(n log n).
///
/// With a filter, a task that fails it still shows when a descendant passes, so every
/// shown task keeps its place; such rows are marked `matchesFilter == false`.
struct TreeBuilder {
    let tasks: [TaskInfo]
    let forest: TaskForest
    let options: TaskList.Options

    func rows() -> [TaskRow] {
        let shown = shownTasks()
        var rows: [TaskRow] = []
        rows.reserveCapacity(tasks.count)
        var visited = [Bool](repeating: false, count: tasks.count)
        // Each frame: a task index, its depth, whether it is the last sibling, its guides.
        var stack: [(index: Int32, depth: Int, isLast: Bool, guides: UInt64)] = []

        func push<Siblings: BidirectionalCollection<Int32>>(_ siblings: Siblings, depth: Int, guides: UInt64) {
            let last = siblings.count - 1
            for (n, i) in siblings.enumerated().reversed() {
                stack.append((i, depth, n == last, guides))
            }
        }
        // With every task shown in id order, children need no copy, filter or sort.
        let plain = options.filter == .all && options.sort == SortOrder()

        func walk(from roots: [Int32]) {
            push(ordered(roots, shown), depth: 0, guides: 0)
            while let frame = stack.popLast() {
                let i = Int(frame.index)
                guard !visited[i] else { continue }
                visited[i] = true
                let slice = forest.children(of: i)
                let kids: [Int32] = plain ? [] : ordered(Array(slice), shown)
                let hasChildren = plain ? !slice.isEmpty : !kids.isEmpty
                let collapsed = hasChildren && !options.collapsed.isEmpty && options.collapsed.contains(tasks[i].id)
                rows.append(TaskRow(taskIndex: i, depth: frame.depth, isLast: frame.isLast, guides: frame.guides,
                                    hasChildren: hasChildren, isCollapsed: collapsed,
                                    matchesFilter: plain || options.filter.admits(tasks[i].state.kind)))
                guard !collapsed else {
                    markHidden(below: i, &visited)
                    continue
                }
                // Below a task with later siblings, its connector column keeps a │ (bit depth-1).
                let depth = frame.depth
                let continues = depth > 0 && depth <= 64 && !frame.isLast
                let guides = continues ? frame.guides | (1 << UInt64(depth - 1)) : frame.guides
                if plain { push(slice, depth: frame.depth + 1, guides: guides) } else { push(kids, depth: frame.depth + 1, guides: guides) }
            }
        }

        walk(from: forest.roots)
        // Tasks caught in a parent cycle are reachable from no root: show them as roots.
        let stranded = (0..<tasks.count).filter { !visited[$0] && shown[$0] }
        if !stranded.isEmpty { walk(from: stranded.map { Int32($0) }) }
        return rows
    }

    /// Marks a folded subtree as seen, so it is not mistaken for tasks caught in a cycle.
    private func markHidden(below root: Int, _ visited: inout [Bool]) {
        var stack = Array(forest.children(of: root))
        while let i = stack.popLast().map(Int.init) {
            guard !visited[i] else { continue }
            visited[i] = true
            stack.append(contentsOf: forest.children(of: i))
        }
    }

    /// Which tasks appear: those that pass the filter, and their ancestors.
    private func shownTasks() -> [Bool] {
        guard options.filter != .all else { return [Bool](repeating: true, count: tasks.count) }
        var shown = [Bool](repeating: false, count: tasks.count)
        for i in tasks.indices where options.filter.admits(tasks[i].state.kind) {
            var j = i
            // Stops at the first task already shown, so each task is marked once: O(n) overall.
            while j >= 0 && !shown[j] {
                shown[j] = true
                j = Int(forest.parent[j])
            }
        }
        return shown
    }

    private func ordered(_ indices: [Int32], _ shown: [Bool]) -> [Int32] {
        var kept = indices.filter { shown[Int($0)] }
        if options.sort != SortOrder() {
            kept.sort { options.sort.precedes(tasks[Int($0)], tasks[Int($1)]) }
        }
        return kept
    }
}

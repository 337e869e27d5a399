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
        if options.filter == .all && options.sort == SortOrder() && options.collapsed.isEmpty { return plainRows() }
        let shown = shownTasks()
        var rows: [TaskRow] = []
        rows.reserveCapacity(tasks.count)
        var visited = [Bool](repeating: false, count: tasks.count)
        // Each frame: a task index, its depth, whether it is the last sibling, its guides.
        var stack: [(index: Int32, depth: Int, isLast: Bool, guides: UInt64)] = []

        func push<Siblings: BidirectionalCollection<Int32>>(_ siblings: Siblings, depth: Int, guides: UInt64) {
            // Last sibling first, so the first is on top; no array made for the reversal.
            var isLast = true
            for i in siblings.reversed() {
                stack.append((i, depth, isLast, guides))
                isLast = false
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

    /// The common case, every task in id order and nothing folded, in flat buffers: the
    /// same rows as the general walk, without touching a task's value (a frame of 100,000
    /// tasks rebuilds its rows in a few milliseconds).
    private func plainRows() -> [TaskRow] {
        let n = tasks.count
        var visited = [Bool](repeating: false, count: n)
        var stack: [PlainFrame] = []
        stack.reserveCapacity(256)
        var rows: [TaskRow] = []
        rows.reserveCapacity(n)
        forest.childStart.withUnsafeBufferPointer { start in
            forest.children.withUnsafeBufferPointer { children in
                forest.roots.withUnsafeBufferPointer { roots in
                    Self.walk(roots, start: start, children: children, visited: &visited, stack: &stack, rows: &rows)
                }
                // Tasks caught in a parent cycle are reachable from no root: show them as roots.
                if rows.count < n {
                    let stranded = (0..<n).filter { !visited[$0] }.map { Int32($0) }
                    stranded.withUnsafeBufferPointer { roots in
                        Self.walk(roots, start: start, children: children, visited: &visited, stack: &stack, rows: &rows)
                    }
                }
            }
        }
        return rows
    }

    private struct PlainFrame {
        var index: Int32
        var depth: Int32
        var isLast: Bool
        var guides: UInt64
    }

    /// Depth first from `roots`, every child in id order (``plainRows()``).
    private static func walk(_ roots: UnsafeBufferPointer<Int32>, start: UnsafeBufferPointer<Int32>,
                             children: UnsafeBufferPointer<Int32>, visited: inout [Bool], stack: inout [PlainFrame],
                             rows: inout [TaskRow]) {
        var k = roots.count - 1
        while k >= 0 {
            stack.append(PlainFrame(index: roots[k], depth: 0, isLast: k == roots.count - 1, guides: 0))
            k -= 1
        }
        while let frame = stack.popLast() {
            let i = Int(frame.index)
            if visited[i] { continue }
            visited[i] = true
            let lower = Int(start[i]), upper = Int(start[i + 1])
            rows.append(TaskRow(taskIndex: i, depth: Int(frame.depth), isLast: frame.isLast, guides: frame.guides,
                                hasChildren: upper > lower, isCollapsed: false, matchesFilter: true))
            // Below a task with later siblings, its connector column keeps a │ (bit depth-1).
            let depth = Int(frame.depth)
            let continues = depth > 0 && depth <= 64 && !frame.isLast
            let guides = continues ? frame.guides | (1 << UInt64(depth - 1)) : frame.guides
            var c = upper - 1
            while c >= lower {
                stack.append(PlainFrame(index: children[c], depth: frame.depth + 1, isLast: c == upper - 1, guides: guides))
                c -= 1
            }
        }
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

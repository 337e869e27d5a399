import AsyncTopModel

/// The rows of the task list for one snapshot and one set of options, in display order.
///
/// Building is O(n log n) (the sort); rendering then touches only the visible rows. The
/// runner keeps one and rebuilds it when the snapshot's version or the options change.
public struct TaskList: Sendable {
    /// What shapes the list.
    public struct Options: Hashable, Sendable {
        public var layout: TaskLayout
        public var filter: StateFilter
        public var sort: SortOrder
        public var collapsed: Set<TaskID>

        public init(layout: TaskLayout = .tree, filter: StateFilter = .all, sort: SortOrder = SortOrder(),
                    collapsed: Set<TaskID> = []) {
            self.layout = layout
            self.filter = filter
            self.sort = sort
            self.collapsed = collapsed
        }
    }

    public let snapshot: Snapshot
    public let options: Options
    public let rows: [TaskRow]
    let forest: TaskForest

    public init(snapshot: Snapshot, options: Options) {
        self.snapshot = snapshot
        self.options = options
        forest = TaskForest(snapshot.tasks)
        switch options.layout {
        case .flat: rows = Self.flatRows(snapshot.tasks, options)
        case .tree: rows = TreeBuilder(tasks: snapshot.tasks, forest: forest, options: options).rows()
        }
    }

    private init(snapshot: Snapshot, options: Options, rows: [TaskRow], forest: TaskForest) {
        self.snapshot = snapshot
        self.options = options
        self.rows = rows
        self.forest = forest
    }

    /// The list for a newer snapshot. When the new snapshot holds the same tasks in the same
    /// order and the layout depends on nothing that can change (no state filter, id order),
    /// the rows are kept and only the task values are new: O(n) comparisons of ids instead of
    /// a rebuild.
    public func updating(to snapshot: Snapshot) -> TaskList {
        let old = self.snapshot.tasks, new = snapshot.tasks
        if options.filter == .all, options.sort == SortOrder(), old.count == new.count,
           // A task value the new snapshot shares with the old one is the same task: only
           // the changed ones are read.
           zip(old, new).allSatisfy({ $0 === $1 || ($0.id == $1.id && $0.parentID == $1.parentID) }) {
            return TaskList(snapshot: snapshot, options: options, rows: rows, forest: forest)
        }
        return TaskList(snapshot: snapshot, options: options)
    }

    /// The task shown on a row.
    public func task(at row: Int) -> TaskInfo { snapshot.tasks[rows[row].taskIndex] }

    /// The row showing the task with this id, if it is in the list. O(rows).
    public func row(of id: TaskID) -> Int? {
        let tasks = snapshot.tasks
        return rows.firstIndex { tasks[$0.taskIndex].id == id }
    }

    /// The task with this id and all its descendants, depth first, whatever the filter.
    public func subtree(of id: TaskID) -> [TaskInfo] {
        guard let root = TaskForest.index(of: id, in: snapshot.tasks) else { return [] }
        var result: [TaskInfo] = []
        var stack = [Int32(root)]
        var seen = Set<Int32>()
        while let i = stack.popLast() {
            guard seen.insert(i).inserted else { continue }
            result.append(snapshot.tasks[Int(i)])
            stack.append(contentsOf: forest.children(of: Int(i)).reversed())
        }
        return result
    }

    /// The direct children of a task, in id order.
    public func children(of id: TaskID) -> [TaskInfo] {
        guard let i = TaskForest.index(of: id, in: snapshot.tasks) else { return [] }
        return forest.children(of: i).map { snapshot.tasks[Int($0)] }
    }

    private static func flatRows(_ tasks: [TaskInfo], _ options: Options) -> [TaskRow] {
        var indices = tasks.indices.filter { options.filter.admits(tasks[$0].state.kind) }
        if options.sort != SortOrder() {
            indices.sort { options.sort.precedes(tasks[$0], tasks[$1]) }
        }
        return indices.map {
            TaskRow(taskIndex: $0, depth: 0, isLast: false, guides: 0, hasChildren: false,
                    isCollapsed: false, matchesFilter: true)
        }
    }
}

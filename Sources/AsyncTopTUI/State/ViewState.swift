import AsyncTopModel

/// Everything the dashboard remembers between frames. Changed only by ``reduce(_:_:_:)``.
public struct ViewState: Hashable, Sendable {
    public var pane: Pane = .tasks
    public var prompt: Prompt?
    public var layout: TaskLayout = .tree
    public var filter: StateFilter = .all
    public var sort = SortOrder()
    /// Tasks whose subtrees are folded away in tree mode.
    public var collapsed: Set<TaskID> = []
    /// The selected task; the selection follows this id across refreshes.
    public var selectedID: TaskID?
    /// Where the selection was last: the fallback when the selected task leaves the list.
    public var selectedRow = 0
    /// The first task row shown.
    public var scrollTop = 0
    /// The first line shown in the details pane.
    public var detailsScroll = 0
    public var isPaused = false
    /// The demos the launcher offers, and which one is highlighted.
    public var demos: [DemoEntry]
    public var demoSelection = 0
    /// How many task rows fit on the screen: the distance of PgUp/PgDn.
    public var pageSize = 20
    /// A one-line message about the last command ("cancel requested for task 12").
    public var status: String?
    public var display: DisplayOptions
    /// The limits the lints are evaluated with (`--slow-step-ms`).
    public var lintThresholds: LintThresholds
    /// The selected lint in the lints pane, by ``Lint/id``: it stays selected while it lasts.
    public var lintSelectedID: String?
    /// Where the lint selection was last: the fallback when that lint is gone.
    public var lintSelectedRow = 0
    /// The first lint row shown.
    public var lintScrollTop = 0
    /// How many lint rows fit in the lints pane.
    public var lintPageSize = 10
    /// The selected resource in the resources pane, by ``ResourceList/key(_:)``.
    public var resourceSelectedKey: String?
    /// Where the resource selection was last: the fallback when that resource is gone.
    public var resourceSelectedRow = 0
    /// The first resource row shown.
    public var resourceScrollTop = 0
    /// How many resource rows fit in the resources pane.
    public var resourcePageSize = 10
    /// The last search confirmed with Enter: what `n` and `N` look for.
    public var lastSearch: String?
    /// Whether the task table shows the WHERE column (`w`).
    public var showsWhere = false
    /// The suspensions whose stacks were asked for, so each is asked for once: kept only
    /// while the task is still in that state.
    public var stackRequests: Set<StackRequest> = []
    /// Commands the source cannot carry out, with why ("a replay cannot cancel tasks"): their
    /// keys say so, and the footer and help leave them out.
    public var unavailable: [Action: String] = [:]
    /// The lint count of each second of loop time lately, for the loop view's chart.
    public var lintHistory = LintHistory()
    /// What to say of a suspended task without a stack (``SnapshotSource/missingStackNote``).
    public var missingStackNote: String?

    public init(demos: [DemoEntry] = [], display: DisplayOptions = DisplayOptions(),
                lintThresholds: LintThresholds = LintThresholds()) {
        self.demos = demos
        self.display = display
        self.lintThresholds = lintThresholds
    }

    /// The options the task list is built with.
    public var listOptions: TaskList.Options {
        TaskList.Options(layout: layout, filter: filter, sort: sort, collapsed: collapsed)
    }

    /// The row of the selection in `list`: the selected task's row, or the last row index
    /// clamped to the list when that task is gone; nil for an empty list.
    public func selectionRow(in list: TaskList) -> Int? {
        guard !list.rows.isEmpty else { return nil }
        if let id = selectedID, let row = list.row(of: id) { return row }
        return min(max(0, selectedRow), list.rows.count - 1)
    }
}

extension ViewState {
    /// The row of the lint selection in `report`, as ``selectionRow(in:)`` for tasks; nil
    /// when there are no lints.
    public func lintSelectionRow(in report: LintReport) -> Int? {
        guard !report.isEmpty else { return nil }
        if let id = lintSelectedID, let row = report.index(of: id) { return row }
        return min(max(0, lintSelectedRow), report.count - 1)
    }
}

extension ViewState {
    /// The row of the resource selection in `list`; nil when there are no resources.
    func resourceSelectionRow(in list: ResourceList) -> Int? {
        guard !list.isEmpty else { return nil }
        if let key = resourceSelectedKey, let row = list.index(of: key) { return row }
        return min(max(0, resourceSelectedRow), list.count - 1)
    }
}

/// One suspension (or wait to start) of a task whose stack the dashboard asked for.
public struct StackRequest: Hashable, Sendable {
    public var task: TaskID
    /// When the state began (`TaskInfo.stateSince`): a new suspension has a new one.
    public var since: Nanos

    public init(task: TaskID, since: Nanos) {
        self.task = task
        self.since = since
    }
}

/// The task list as a tree (by `parentID`) or a flat list.
public enum TaskLayout: String, Hashable, Sendable {
    case tree, flat
}

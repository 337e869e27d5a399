import AsyncTopModel

/// Draws the dashboard for a snapshot and a view state on a screen of `size`.
///
/// Pure: the same inputs give the same cells. Builds the task list and evaluates the lints
/// of the snapshot; a runner that keeps a ``TaskList`` and a ``LintReport`` across frames
/// calls ``render(list:lints:state:size:)``.
public func render(snapshot: Snapshot, state: ViewState, size: (rows: Int, cols: Int)) -> Screen {
    render(list: TaskList(snapshot: snapshot, options: state.listOptions), state: state, size: size)
}

/// Draws the dashboard from a task list built with `state.listOptions`; evaluates the lints
/// of its snapshot.
public func render(list: TaskList, state: ViewState, size: (rows: Int, cols: Int)) -> Screen {
    render(list: list, lints: LintReport(snapshot: list.snapshot, thresholds: state.lintThresholds), state: state, size: size)
}

/// Draws the dashboard from a task list built with `state.listOptions` and the lints of its
/// snapshot; `output` holds the lines the source's demos said lately (oldest first).
///
/// Only the visible task rows are drawn. A screen below 40 × 12 gets a message saying so.
public func render(list: TaskList, lints: LintReport, output: [TraceEvent] = [], state: ViewState,
                   size: (rows: Int, cols: Int)) -> Screen {
    var screen = Screen(rows: size.rows, cols: size.cols)
    guard Layout.fits(rows: size.rows, cols: size.cols) else {
        TooSmallView(rows: size.rows, cols: size.cols).draw(into: &screen)
        return screen
    }
    let context = RenderContext(list: list, lints: lints, output: output, state: state, layout: Layout(rows: size.rows),
                                cols: size.cols)
    HeaderView(context: context).draw(into: &screen)
    switch state.pane {
    case .tasks:
        TaskTableView(context: context).draw(into: &screen)
        ExecutorStripView(context: context).draw(into: &screen)
    case .details(let id): DetailsView(context: context, id: id).draw(into: &screen)
    case .executors: ExecutorsView(context: context).draw(into: &screen)
    case .lints: LintsView(context: context).draw(into: &screen)
    case .resources: ResourcesView(context: context).draw(into: &screen)
    case .loop: LoopView(context: context).draw(into: &screen)
    case .help: HelpView(context: context).draw(into: &screen)
    case .demos:
        TaskTableView(context: context).draw(into: &screen)
        DemoLauncherView(context: context).draw(into: &screen)
    }
    if case .confirmCancel(let task, let message) = state.prompt {
        CancelDialogView(context: context, task: task, message: message).draw(into: &screen)
    }
    FooterView(context: context).draw(into: &screen)
    // Numbers ("12.3µs"), separators ("·") and names may hold more than the glyphs do.
    if !state.display.unicode { screen.restrictToASCII() }
    return screen
}

/// What every view draws from.
struct RenderContext {
    let list: TaskList
    let lints: LintReport
    let output: [TraceEvent]
    let state: ViewState
    let layout: Layout
    let cols: Int
    let theme: Theme
    let glyphs: Glyphs

    init(list: TaskList, lints: LintReport, output: [TraceEvent] = [], state: ViewState, layout: Layout, cols: Int) {
        self.list = list
        self.lints = lints
        self.output = output
        self.state = state
        self.layout = layout
        self.cols = cols
        theme = Theme(colors: state.display.colors)
        glyphs = Glyphs(unicode: state.display.unicode)
    }

    var snapshot: Snapshot { list.snapshot }

    /// A task's age: from creation to its end, or to the snapshot while it lives.
    func age(of task: TaskInfo) -> Nanos {
        let end = task.finishedAt ?? snapshot.takenAt
        return end > task.createdAt ? end - task.createdAt : 0
    }

    /// "‖ suspended", with the cancel-requested mark when it applies.
    func stateLabel(_ task: TaskInfo) -> String {
        let kind = task.state.kind
        return "\(glyphs.state(kind)) \(kind.rawValue)\(task.cancelRequested ? String(glyphs.cancelRequested) : "")"
    }
}

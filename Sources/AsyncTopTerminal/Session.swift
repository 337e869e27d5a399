import AsyncTopModel
import AsyncTopTUI

/// The dashboard's loop state between frames: the view state, the latest snapshot, its
/// task list (rebuilt only when the snapshot or the list options change) and its lints
/// (evaluated once per snapshot).
struct Session {
    let source: any SnapshotSource
    private(set) var state: ViewState
    private var size: (rows: Int, cols: Int)
    private var list: TaskList
    private var lints: LintReport
    /// What the source's demos said lately.
    private var output: [TraceEvent] = []
    private(set) var needsDraw = true

    init(source: any SnapshotSource, state: ViewState, size: (rows: Int, cols: Int)) {
        self.source = source
        self.state = state
        self.size = size
        list = TaskList(snapshot: source.snapshot(), options: state.listOptions)
        lints = LintReport(snapshot: list.snapshot, thresholds: state.lintThresholds)
        apply(.resize(rows: size.rows, cols: size.cols))
    }

    /// Takes a fresh snapshot from the source.
    mutating func pull() {
        list = list.updating(to: source.snapshot())
        lints = lints.updating(to: list.snapshot, thresholds: state.lintThresholds)
        output = source.output()
        needsDraw = true
    }

    mutating func resize(to size: (rows: Int, cols: Int)) {
        self.size = size
        apply(.resize(rows: size.rows, cols: size.cols))
    }

    /// Handles a key. - Returns: The effect, already performed on the source.
    mutating func handle(_ key: Key) -> Effect {
        guard let action = KeyBindings.action(for: key, in: state) else {
            // Keys the dashboard leaves free may mean something to the source (a replay).
            if source.handle(key: key) { pull() }
            return .none
        }
        return apply(action)
    }

    mutating func screen() -> Screen {
        needsDraw = false
        return render(list: list, lints: lints, output: output, state: state, size: size)
    }

    @discardableResult
    private mutating func apply(_ action: Action) -> Effect {
        let effect: Effect
        (state, effect) = reduce(state, action, list: list, lints: lints)
        needsDraw = true
        switch effect {
        case .cancelTask(let id, let message):
            // TODO(tui): show the answer instead of the reducer's optimistic status.
            source.cancel(task: id, message: message) { _ in }
            pull()
        case .launchDemo(let name):
            source.launchDemo(named: name)
            pull()
        case .none, .quit:
            if list.options != state.listOptions {
                list = TaskList(snapshot: list.snapshot, options: state.listOptions)
            }
        }
        return effect
    }
}

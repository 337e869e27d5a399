import AsyncTopModel
import AsyncTopTUI
import Synchronization

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
    /// Answers to cancels, from whatever thread the source answers on, until the loop takes them.
    private let answers = CancelAnswers()

    init(source: any SnapshotSource, state: ViewState, size: (rows: Int, cols: Int)) {
        self.source = source
        self.state = state
        self.size = size
        list = TaskList(snapshot: source.snapshot(), options: state.listOptions)
        lints = LintReport(snapshot: list.snapshot, thresholds: state.lintThresholds)
        apply(.resize(rows: size.rows, cols: size.cols))
    }

    /// Applies the answers to cancels that came since the last call (see ``Action/cancelAnswered(task:answer:)``).
    mutating func takeAnswers() {
        for (task, answer) in answers.take() {
            apply(.cancelAnswered(task: task, answer: answer))
            pull()
        }
    }

    /// Takes a fresh snapshot from the source, and asks it for the stacks the views lack.
    mutating func pull() {
        list = list.updating(to: source.snapshot())
        lints = lints.updating(to: list.snapshot, thresholds: state.lintThresholds)
        output = source.output()
        apply(.refreshed)
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
            let answers = self.answers
            source.cancel(task: id, message: message) { answer in answers.add(task: id, answer) }
            // An in-process source has answered already.
            takeAnswers()
            pull()
        case .launchDemo(let name):
            source.launchDemo(named: name)
            pull()
        case .requestStacks(let ids):
            // They come with a later snapshot.
            source.requestStacks(of: ids)
        case .none, .quit:
            break
        }
        if list.options != state.listOptions {
            list = TaskList(snapshot: list.snapshot, options: state.listOptions)
        }
        return effect
    }
}

/// Answers to cancels waiting for the dashboard's loop: sources call back on any thread.
final class CancelAnswers: Sendable {
    private let waiting = Mutex<[(TaskID, CancelAnswer)]>([])

    func add(task: TaskID, _ answer: CancelAnswer) { waiting.withLock { $0.append((task, answer)) } }

    func take() -> [(TaskID, CancelAnswer)] { waiting.withLock { waiting in defer { waiting = [] }; return waiting } }
}

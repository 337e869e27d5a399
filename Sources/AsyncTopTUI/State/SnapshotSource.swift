import AsyncTopModel

/// Where the dashboard gets snapshots and sends commands: the in-process registry, a
/// monitor socket or a recording, all adapted to this one shape.
public protocol SnapshotSource: Sendable {
    /// The current picture of the loop. Called about ten times a second.
    func snapshot() -> Snapshot
    /// Asks for a task to be cancelled, on behalf of the dashboard's user, and calls
    /// `answer` (on any thread, once) with what became of it.
    func cancel(task: TaskID, message: String?, answer: @escaping @Sendable (CancelAnswer) -> Void)
    /// Whether ``cancel(task:message:answer:)`` can do anything here (not in a replay).
    var canCancel: Bool { get }
    /// Whether demos can be launched here (not in a replay, nor attached to a program that
    /// offers none).
    var canLaunchDemos: Bool { get }
    /// Starts the demo with this name.
    func launchDemo(named: String)
    /// Offers the source a key the dashboard does not bind; see the default below.
    func handle(key: Key) -> Bool
    /// The latest lines the program's demos said (`output` events), oldest first; see the
    /// default below.
    func output() -> [TraceEvent]
    /// Asks the source to capture the async stacks of these tasks (suspended ones); they
    /// arrive in later snapshots as `TaskInfo.stack`. See the default below.
    func requestStacks(of tasks: [TaskID])
    /// Whether ``requestStacks(of:)`` can bring stacks here; the dashboard offers its stack
    /// views only then.
    var canShowStacks: Bool { get }
    /// What the details say of a suspended task that has no stack (yet); nil: that it is
    /// being captured.
    var missingStackNote: String? { get }
}

extension SnapshotSource {
    public var canCancel: Bool { true }
    public var canLaunchDemos: Bool { true }

    /// Offers the source a key the dashboard does not bind (a replay's seek and speed keys).
    /// - Returns: true when the source used it; the dashboard then pulls a fresh snapshot.
    public func handle(key: Key) -> Bool { false }

    /// Nothing said: only a loop of this process running demos has lines to show.
    public func output() -> [TraceEvent] { [] }

    /// Nothing to do: a recording already carries the stacks it has.
    public func requestStacks(of tasks: [TaskID]) {}

    public var canShowStacks: Bool { true }

    public var missingStackNote: String? { nil }
}

import AsyncTopModel

/// Where the dashboard gets snapshots and sends commands: the in-process registry, a
/// monitor socket or a recording, all adapted to this one shape.
public protocol SnapshotSource: Sendable {
    /// The current picture of the loop. Called about ten times a second.
    func snapshot() -> Snapshot
    /// Asks for a task to be cancelled, on behalf of the dashboard's user.
    func cancel(task: TaskID, message: String?)
    /// Starts the demo with this name.
    func launchDemo(named: String)
    /// Offers the source a key the dashboard does not bind; see the default below.
    func handle(key: Key) -> Bool
    /// The latest lines the program's demos said (`output` events), oldest first; see the
    /// default below.
    func output() -> [TraceEvent]
}

extension SnapshotSource {
    /// Offers the source a key the dashboard does not bind (a replay's seek and speed keys).
    /// - Returns: true when the source used it; the dashboard then pulls a fresh snapshot.
    public func handle(key: Key) -> Bool { false }

    /// Nothing said: only a loop of this process running demos has lines to show.
    public func output() -> [TraceEvent] { [] }
}

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
}

import AsyncTopModel

/// What a ``MonitorServer`` serves: an event loop, or the observer of a program's plain
/// Swift tasks (the `AsyncTopObserver` library). Every call is safe from any thread.
package protocol MonitorSource: AnyObject, Sendable {
    /// The name in the hello and in every snapshot.
    var name: String { get }
    /// Unix time (seconds) of its time zero.
    var epoch: Double { get }
    /// True once there is nothing more to serve: the server then closes its socket.
    var isClosed: Bool { get }
    func snapshot(timeout: Double) -> Snapshot
    func delta(since version: UInt64, timeout: Double) -> SnapshotDelta
    /// What changed since `held` and the picture now, at most `maxAge` seconds old (a loop
    /// shares it with its other watchers: ``EventLoop/published(after:maxAge:timeout:)``).
    func published(after held: Snapshot, maxAge: Double, timeout: Double) -> (delta: SnapshotDelta, current: Snapshot)
    func cancel(task id: TaskID, message: String?, requester: CancelRequester, timeout: Double) -> CancelAnswer
    /// Files stacks of long-suspended tasks for a recording; never waits.
    func sampleStacks()
    /// Async stacks of `ids` (or of every suspended task); `walked` once the walk is done.
    func captureStacks(of ids: [TaskID]?, minimumAge: Double, limit: Int,
                       completion: (@Sendable ([TaskID: StackAnswer]) -> Void)?, walked: (@Sendable () -> Void)?)
}

extension MonitorSource {
    /// A delta asked for now, applied to `held`.
    package func published(after held: Snapshot, maxAge: Double, timeout: Double) -> (delta: SnapshotDelta, current: Snapshot) {
        let delta = delta(since: held.version, timeout: timeout)
        return (delta, held.applying(delta))
    }
}

extension EventLoop: MonitorSource {
    package var epoch: Double { timeBase.epoch }
}

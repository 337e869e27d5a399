import AsyncTopClient
import AsyncTopModel
import AsyncTopTUI

/// The dashboard's view of another process through its monitor socket.
///
/// The header's phase says "disconnected" while the process is away (the last picture
/// stays), and counts the updates the server dropped for us.
struct RemoteSource: SnapshotSource {
    let remote: RemoteLoop

    func snapshot() -> Snapshot {
        var snapshot = remote.snapshot
        switch remote.status {
        case .connecting: snapshot.stats.phase = "connecting"
        case .disconnected: snapshot.stats.phase = "disconnected (last state kept)"
        case .connected(let pid, let program):
            let dropped = remote.dropped
            snapshot.stats.phase += " · \(program) pid \(pid)" + (dropped > 0 ? " · \(dropped) updates dropped" : "")
        }
        return snapshot
    }

    // TODO(monitor): answer with the server's reply.
    func cancel(task: TaskID, message: String?, answer: @escaping @Sendable (CancelAnswer) -> Void) {
        remote.send(.cancel(id: nil, task: task, message: message))
        answer(.noAnswer)
    }

    func launchDemo(named name: String) { remote.send(.launch(id: nil, demo: name)) }
}

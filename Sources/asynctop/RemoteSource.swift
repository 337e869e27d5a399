import AsyncTopClient
import AsyncTopModel
import AsyncTopTUI

/// The dashboard's view of another process through its monitor socket.
///
/// The header's phase says why there is nothing to show yet ("connecting: /x.sock: no
/// such file (retrying)"), says "disconnected" while the process is away (the last picture
/// stays), and counts the updates the server dropped for us.
struct RemoteSource: SnapshotSource {
    let remote: RemoteLoop

    func snapshot() -> Snapshot {
        var snapshot = remote.snapshot
        switch remote.status {
        case .connecting: snapshot.stats.phase = "connecting to \(remote.path)"
        case .retrying(let reason): snapshot.stats.phase = "connecting: \(reason) (retrying)"
        case .disconnected(let reason): snapshot.stats.phase = "disconnected (last state kept): \(reason) (retrying)"
        case .connected(let pid, let program):
            let dropped = remote.dropped
            snapshot.stats.phase += " · \(program) pid \(pid)" + (dropped > 0 ? " · \(dropped) updates dropped" : "")
            // `--loop NAME` of a loop the process does not serve (or no longer does).
            let loops = remote.loopNames
            if let wanted = remote.loop, !loops.contains(wanted) {
                snapshot.stats.phase = "no loop named '\(wanted)' in \(program) pid \(pid); its loops: \(loops.joined(separator: ", "))"
            }
        }
        return snapshot
    }

    /// The server's own answer, or `notConnected` (nothing sent) or `noAnswer` (none within 2 s).
    func cancel(task: TaskID, message: String?, answer: @escaping @Sendable (CancelAnswer) -> Void) {
        remote.cancel(task: task, message: message, answer: answer)
    }

    /// Only what the program's hello offers can be launched.
    var canLaunchDemos: Bool { !(remote.hello?.demos.isEmpty ?? true) }

    func launchDemo(named name: String) { remote.send(.launch(id: nil, demo: name)) }

    /// The program captures them; they come back in its deltas.
    func requestStacks(of tasks: [TaskID]) { remote.requestStacks(of: tasks) }
}

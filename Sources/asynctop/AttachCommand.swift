import ArgumentParser
import AsyncTopClient
import AsyncTopModel
import AsyncTopRuntime
import AsyncTopTerminal
import AsyncTopTUI
import Foundation

/// `asynctop attach SOCKET`: the dashboard on another process.
struct AttachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Open the dashboard on another process through its monitor socket.",
        discussion: "When the process exits the dashboard says so and keeps the last state; it reconnects when the socket returns.")

    @Argument(help: "The monitor socket of the program.")
    var socket: String

    @Option(help: "Record the stream to this file (replay it with `asynctop replay`).")
    var record: String?

    @Option(help: ArgumentHelp("Show only the loop of this name (a process may serve several on its socket; all are shown by default).",
                               valueName: "name"))
    var loop: String?

    @OptionGroup var display: DisplayFlags

    @OptionGroup var lints: LintOptions

    func run() throws {
        let (remote, recorder) = try recordingRemote(path: socket, record: record, loop: loop)
        defer {
            remote.stop()
            recorder?.close()
        }
        // The launcher offers what the program allows, once its hello is in.
        for _ in 0..<20 where remote.hello == nil { Thread.sleep(forTimeInterval: 0.05) }
        let demos = (remote.hello?.demos ?? []).map { DemoEntry(name: $0, summary: "offered by the program") }
        try runDashboard {
            try DashboardTerminal.run(source: RemoteSource(remote: remote), demos: demos, ascii: display.ascii, monochrome: display.noColor,
                                         lintThresholds: lints.thresholds)
        }
    }
}

/// A remote view of the socket at `path`, recording what it receives to `record` when given
/// (`attach --record`, `run --record`).
func recordingRemote(path: String, record: String?, loop: String? = nil) throws -> (RemoteLoop, Recorder?) {
    let recorder = try record.map { try Recorder(path: $0) }
    var hook: (@Sendable (ServerMessage) -> Void)?
    if let recorder { hook = { message in recorder.record(message) } }
    return (RemoteLoop(path: path, loop: loop, onMessage: hook), recorder)
}

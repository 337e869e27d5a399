import ArgumentParser
import AsyncTopDemos
import AsyncTopRuntime
import Foundation
import Synchronization

/// `asynctop demo NAME`: one demo, in the dashboard or headless with a trace of its tasks.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run one demo: in the dashboard, or with --headless as a trace of its task events.",
        discussion: """
        Headless, the exit status is 0 exactly when the demo observed what it should; the last
        line is the summary. An unknown name lists the demos and exits with status 2.
        """)

    @Argument(help: "The demo to run (see `asynctop demos`).")
    var name: String

    @Flag(help: "Run without a terminal and print the task events.")
    var headless = false

    @Flag(help: "With --headless, print one JSON object per line.")
    var json = false

    @Option(help: "Run the demo this many times faster (its sleeps are divided by it).")
    var speed: Double = 1

    @OptionGroup var lints: LintOptions

    @Option(help: ArgumentHelp("How long a demo that runs until stopped (stress) runs, in its own seconds.",
                               valueName: "seconds"))
    var duration: Double?

    @Option(help: ArgumentHelp("Record the run to this file (replay it with `asynctop replay`).", valueName: "file"))
    var record: String?

    func validate() throws {
        guard speed > 0 else { throw ValidationError("--speed must be above 0") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be above 0") }
    }

    func run() throws {
        let demo = try catalogueDemo(named: name)
        guard headless else {
            let dashboard = try DashboardCommand.parse(["--demo", demo.name] + lints.arguments
                                                       + (duration.map { ["--duration", "\($0)"] } ?? [])
                                                       + (record.map { ["--record", $0] } ?? []))
            try dashboard.validate()
            return try dashboard.run()
        }
        let json = self.json
        let outcome = Mutex<DemoRun?>(nil)
        let done = DispatchSemaphore(value: 0)
        let speed = self.speed
        let duration = self.duration
        let thresholds = lints.thresholds
        let recorder: Recorder?
        do {
            recorder = try record.map { try Recorder(path: $0) }
        } catch {
            FileHandle.standardError.write(Data("asynctop: \(error)\n".utf8))
            throw ExitCode(1)
        }
        defer { recorder?.close() }
        Task.detached {
            let run = await Demo.$duration.withValue(duration) {
                await DemoRunner.run(demo, speed: speed, thresholds: thresholds, recorder: recorder) { event in
                    emit(json ? event.json() : event.text)
                }
            }
            outcome.withLock { $0 = run }
            done.signal()
        }
        done.wait()
        let run = outcome.withLock { $0 }!
        emit(json ? run.summaryJSON : run.summaryText)
        if !run.ok { throw ExitCode(1) }
    }
}

/// Writes a line to standard output at once (unbuffered, so a pipe sees each event as it comes).
private func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

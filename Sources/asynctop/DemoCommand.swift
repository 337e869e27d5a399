import ArgumentParser
import AsyncTopDemos
import AsyncTopRuntime
import AsyncTopTracing
import Foundation
import Synchronization

/// `asynctop demo NAME`: one demo, in the dashboard or headless with a trace of its tasks.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run one demo: in the dashboard, or with --headless as a trace of its task events.",
        discussion: """
        Headless, the exit status is 0 exactly when the demo observed what it should; the \
        last line is the summary. An unknown name lists the demos and exits with status 2.
        """)

    @Argument(help: "The demo to run (see `asynctop demos`).")
    var name: String

    @Flag(help: "Run without a terminal and print the task events.")
    var headless = false

    @Flag(help: "With --headless, print one JSON object per line.")
    var json = false

    @Option(help: ArgumentHelp(
        "With --headless, run the demo this many times faster (\(NumberOption.describe(NumberOption.speeds))): its sleeps and the lints' time limits are divided by it.",
        valueName: "x"))
    var speed: Double = 1

    @OptionGroup var lints: LintOptions

    @OptionGroup var display: DisplayFlags

    @Option(help: ArgumentHelp(
        "How long a demo that runs until stopped (stress) runs, in its own seconds (\(NumberOption.describe(NumberOption.durations))).",
        valueName: "seconds"))
    var duration: Double?

    @Option(help: ArgumentHelp("Record the run to this file (replay it with `asynctop replay`).", valueName: "file"))
    var record: String?

    func validate() throws {
        try NumberOption.check(speed, "--speed", in: NumberOption.speeds)
        if let duration { try NumberOption.check(duration, "--duration", in: NumberOption.durations, unit: " seconds") }
    }

    func run() throws {
        let demo = try catalogueDemo(named: name)
        guard headless else {
            return try DashboardCommand.open(demos: [demo.name], duration: duration, display: display, lints: lints,
                                             record: record, monitor: nil)
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
            // Streamed: each event is printed as it comes and none is kept, so that a run
            // of any length (stress for an hour) keeps a flat memory.
            let run = await Demo.$duration.withValue(duration) {
                await DemoRunner.run(demo, speed: speed, thresholds: thresholds, recorder: recorder, keepEvents: false) { event in
                    emit(json ? event.json() : event.text)
                }
            }
            outcome.withLock { $0 = run }
            done.signal()
        }
        done.wait()
        let run = outcome.withLock { $0 }!
        if !json, let timing = run.timingText { emit(timing) }
        emit(json ? run.summaryJSON : run.summaryText)
        if !run.ok { throw ExitCode(1) }
    }
}

/// Writes a line to standard output at once (unbuffered, so a pipe sees each event as it comes).
private func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

import ArgumentParser
import AsyncTopDemos
import AsyncTopRuntime
import AsyncTopTerminal
import AsyncTopTUI
import Foundation

/// `asynctop dashboard`: a loop of our own, the dashboard on it, demos on demand.
struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Start an event loop and open the dashboard on it (the default).")

    @Option(name: .customLong("demo"), help: "Launch this demo at start (repeatable).")
    var demos: [String] = []

    @Option(help: ArgumentHelp(
        "How long demos that run until stopped (stress) run, in seconds (\(NumberOption.describe(NumberOption.durations))).",
        valueName: "seconds"))
    var duration: Double?

    @OptionGroup var display: DisplayFlags

    @Option(help: "Record the run to this file, one timestamped delta per line (replay it with `asynctop replay`).")
    var record: String?

    @Option(help: "Also serve this loop on a monitor socket at this path, for `asynctop attach`, `ps` and `pstree`.")
    var monitor: String?

    @OptionGroup var lints: LintOptions

    func validate() throws {
        if let duration { try NumberOption.check(duration, "--duration", in: NumberOption.durations, unit: " seconds") }
        for name in demos where DemoCatalogue.named(name) == nil {
            throw ValidationError(unknownDemoMessage(name))
        }
    }

    func run() throws {
        try Self.open(demos: demos, duration: duration, display: display, lints: lints, record: record, monitor: monitor)
    }

    /// Starts a loop of our own, launches `demos` on it and runs the dashboard until it quits.
    /// Runs on the main thread: the dashboard owns it, and the loop has a thread of its own.
    ///
    /// - Parameters:
    ///   - duration: how long demos that run until stopped run, in seconds; nil: their default.
    ///   - record: a file to record the run to; nil: no recording.
    ///   - monitor: a socket path to also serve the loop on; nil: no monitor.
    /// - Throws: the monitor's or the recorder's error when the socket or the file cannot be
    ///   opened; ``ExitCode`` 2 when there is no terminal that can draw.
    static func open(demos: [String], duration: Double?, display: DisplayFlags, lints: LintOptions, record: String?,
                     monitor: String?) throws {
        let loop = EventLoop(name: "asynctop")
        let running = Task.detached { try await loop.runForever() }
        let source = LoopSource(loop: loop, demoDuration: duration)
        for name in demos { source.launchDemo(named: name) }
        let server = try monitor.map { path in
            try loop.startMonitor(MonitorConfiguration(path: path, demos: DemoCatalogue.all.map(\.name),
                                                       launch: { name, _ in source.launchDemo(named: name) }))
        }
        let recording = try record.map { try LoopRecording(loop: loop, path: $0) }
        defer {
            recording?.stop()
            server?.stop()
            loop.stop()
            _ = running
        }
        do {
            try DashboardTerminal.run(source: source, demos: DemoCatalogue.all.map { DemoEntry(name: $0.name, summary: $0.summary, about: $0.about) },
                                      ascii: display.ascii, monochrome: display.noColor, lintThresholds: lints.thresholds)
        } catch let error as TerminalError {
            FileHandle.standardError.write(Data("""
                \(error.description)
                Without a terminal, list the demos with `asynctop demos`; see `asynctop --help`.

                """.utf8))
            throw ExitCode(2)
        }
    }
}

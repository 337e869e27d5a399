import ArgumentParser
import AsyncTopModel
import AsyncTopTerminal
import Foundation

/// `asynctop replay FILE`: a recording in the dashboard.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Play a recording in the dashboard.",
        discussion: "Keys: p pause, , and . step a frame, [ and ] seek 5 s, < and > halve and double the speed; the dashboard's keys as usual.")

    @Argument(help: "A file written by --record.")
    var file: String

    @Option(help: ArgumentHelp("Playback speed (1 is real time; \(NumberOption.describe(NumberOption.speeds))).", valueName: "x"))
    var speed: Double = 1

    @OptionGroup var lints: LintOptions

    @OptionGroup var display: DisplayFlags

    func validate() throws { try NumberOption.check(speed, "--speed", in: NumberOption.speeds) }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            FileHandle.standardError.write(Data("asynctop: cannot read \(file)\n".utf8))
            throw ExitCode(1)
        }
        let recording = Recording(bytes: [UInt8](data))
        if let version = recording.unsupportedVersion {
            FileHandle.standardError.write(Data("asynctop: \(file): \(Recording.versionProblem(version))\n".utf8))
            throw ExitCode(1)
        }
        if let line = recording.stoppedAtLine {
            FileHandle.standardError.write(Data("asynctop: \(file): loaded \(recording.frameCount) frames; stopped at line \(line): \(recording.problem ?? "")\n".utf8))
        }
        let source = ReplaySource(recording: recording, speed: speed)
        try runDashboard {
            try DashboardTerminal.run(source: source, demos: [], ascii: display.ascii, monochrome: display.noColor,
                                      lintThresholds: lints.thresholds)
        }
    }
}

/// Runs a dashboard, turning a missing terminal into a clear message and exit status 2.
func runDashboard(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as TerminalError {
        FileHandle.standardError.write(Data("\(error.description)\nWithout a terminal, try `asynctop ps` or `asynctop pstree`.\n".utf8))
        throw ExitCode(2)
    }
}

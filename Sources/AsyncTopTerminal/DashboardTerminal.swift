import AsyncTopModel
import AsyncTopTUI
#if canImport(Glibc)
import Glibc
#endif

/// Runs the dashboard in the terminal: pull snapshots, render, draw, read keys, act.
public enum DashboardTerminal {
    /// How often a new snapshot is pulled while not paused.
    static let refreshInterval: Duration = .milliseconds(100)

    /// Shows the dashboard for `source` until the user quits.
    ///
    /// Blocks the calling thread, which must be the only one using the terminal. Pulls a
    /// snapshot about ten times a second unless paused, and sends the user's cancel and
    /// launch commands to `source`. The terminal is restored however this returns.
    /// - Parameters:
    ///   - source: Where snapshots come from and commands go.
    ///   - demos: What the demo launcher offers.
    ///   - ascii: draw with ASCII glyphs even where the locale allows Unicode.
    ///   - monochrome: draw without colours even where the terminal has them.
    ///   - lintThresholds: the limits of the lints (the long step's comes from `--slow-step-ms`).
    /// - Throws: ``TerminalError`` when there is no usable terminal.
    public static func run(source: any SnapshotSource, demos: [DemoEntry], ascii: Bool = false,
                           monochrome: Bool = false, lintThresholds: LintThresholds = LintThresholds()) throws {
        let terminal = try Terminal()
        defer { terminal.restore() }
        let display = DisplayOptions(colors: terminal.displayOptions.colors && !monochrome,
                                     unicode: terminal.displayOptions.unicode && !ascii)
        var state = ViewState(demos: demos, display: display, lintThresholds: lintThresholds)
        state.unavailable = unavailable(in: source)
        state.missingStackNote = source.missingStackNote
        var session = Session(source: source, state: state, size: terminal.size)
        let clock = ContinuousClock()
        var lastPull = clock.now
        while true {
            if !session.state.isPaused && clock.now - lastPull >= refreshInterval {
                session.pull()
                lastPull = clock.now
            }
            session.takeAnswers()
            if session.needsDraw { terminal.draw(session.screen()) }
            CrashForTesting.crashIfAsked()
            switch terminal.readEvent() {
            case .resize?: session.resize(to: terminal.size)
            case .hangup?: return
            case .key(let key)?: if session.handle(key) == .quit { return }
            case nil: break
            }
        }
    }

    /// What the source cannot do, with why: a replay neither cancels nor launches.
    static func unavailable(in source: any SnapshotSource) -> [Action: String] {
        var unavailable: [Action: String] = [:]
        if !source.canShowStacks {
            unavailable[.toggleWhere] = "this source cannot capture async stacks"
            unavailable[.toggleAllFrames] = unavailable[.toggleWhere]
        }
        if !source.canCancel { unavailable[.cancelSelected] = CancelAnswer.unsupported.message(task: 0) }
        if !source.canLaunchDemos {
            unavailable[.showDemos] = source.canCancel ? "this program offers no demos to launch" : "a replay cannot launch demos"
        }
        return unavailable
    }
}

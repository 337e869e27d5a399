import TmuxTestSupport
import Foundation
import Testing

/// The real fixture binary in a real terminal: tmux sends keys and captures the pane.
@Suite(.offCooperativePool, .enabled(if: TmuxSession.isAvailable, "tmux is not installed"),
       .enabled(if: BuiltBinary.fixture != nil, "asynctop-tui-fixture not found next to the test bundle"))
struct FixtureInTmuxTests {
    private func start(cols: Int = 120, rows: Int = 40, arguments: String = "") throws -> TmuxSession {
        let session = try TmuxSession(command: "'\(BuiltBinary.fixture!)' \(arguments)", cols: cols, rows: rows)
        try #require(session.waitFor("asynctop · loop fixture"), "the dashboard never appeared")
        return session
    }

    @Test func headerAndTaskTreeAppear() throws {
        let session = try start()
        // The whole first frame: tmux can show one half drawn.
        let screen = session.waitFor { $0.contains("worker-0-1") && $0.contains("F1Help") }
        #expect(screen.contains("Tasks 3 pending  3 running"))
        #expect(screen.contains("     ID STATE        NAME"))
        // service-0 waits on its children and its child worker-0-2 awaits it: a deadlock, marked.
        #expect(screen.contains("      2 ‖ suspended  ├─ ⚠ service-0"))
        #expect(screen.contains("F1Help"))
    }

    @Test func movingTheSelectionChangesWhichDetailsOpen() throws {
        let session = try start()
        session.send("j", "j", "Enter")
        #expect(session.waitFor(" Task 3 worker-0-1"))
        // Esc alone: Esc and a key within ESCDELAY would read as Alt+key.
        session.send("Escape")
        #expect(session.waitFor("F1Help"))
        session.send("k", "Enter")
        #expect(session.waitFor(" Task 2 service-0"))
        session.send("Escape")
        #expect(session.waitFor("F1Help"))
        session.send("Down", "Down", "Down", "Up", "Enter")
        #expect(session.waitFor(" Task 4 worker-0-2"))
    }

    @Test func cancelConfirmsAndReachesTheSource() throws {
        let session = try start()
        session.send("j", "j", "c")
        #expect(session.waitFor("Cancel task 3 worker-0-1?"))
        session.type("bye")
        #expect(session.waitFor("Message (optional): bye_"))
        session.send("Enter")
        // The name may be cut short: a lint's ⚠ before it takes two cells once the fixture
        // has run a while (a loaded machine); the message shows in full as the state's detail.
        let cancelled = session.waitFor { $0.contains("worker-0-1 [cancel: b") && $0.contains(" bye ") }
        #expect(cancelled.contains("worker-0-1 [cancel: b") && cancelled.contains(" bye "), "\(cancelled)")
        #expect(session.waitFor("cancel requested for task 3"))
        #expect(session.capture().contains("      3 ⊘ cancelled"))
    }

    /// An answer that comes later, from another thread (as from an attached program), shows
    /// as soon as it comes, without a key; until then nothing is claimed.
    @Test func aLateCancelAnswerShowsWhenItComes() throws {
        let session = try start(arguments: "--answer-after-ms 1500")
        session.send("j", "j", "c")
        #expect(session.waitFor("Cancel task 3 worker-0-1?"))
        session.send("Enter")
        #expect(session.waitFor("cancelling task 3"))
        #expect(!session.capture().contains("cancel requested"))
        #expect(session.waitFor("cancel requested for task 3"))
        #expect(session.waitFor("[cancel:"), "the snapshot after the answer shows the cancel")
    }

    /// An `async let` cannot be cancelled by itself: no dialog, and the status says why.
    @Test func anAsyncLetIsNotOfferedACancel() throws {
        let session = try start()
        session.send("G")
        #expect(session.waitFor("└─ async let"))
        session.send("c")
        #expect(session.waitFor("task 44 is an async let: it cannot be cancelled by itself; cancel its parent"))
        #expect(!session.capture().contains("Cancel task"))
    }

    /// A source that cannot cancel or launch (a replay): the keys say why, the footer and
    /// help do not offer them.
    @Test func commandsASourceCannotCarryOutAreNotOffered() throws {
        let session = try start(arguments: "--no-commands")
        let footer = session.capture().split(separator: "\n").last { $0.contains("F10Quit") } ?? ""
        #expect(footer.contains("F1Help") && !footer.contains("F9Cancel") && !footer.contains("F2Demos"), "\(footer)")
        session.send("j", "c")
        #expect(session.waitFor("a replay cannot cancel tasks"))
        #expect(!session.capture().contains("Cancel task"))
        session.send("F2")
        #expect(session.waitFor("a replay cannot launch demos"))
        session.send("?")
        let help = session.waitFor { $0.contains("Not here") }
        #expect(help.contains("Not here  a replay cannot cancel tasks"))
        #expect(!help.contains("cancel the selected task"))
    }

    /// The terminal is given back after a crash of any kind, before the crash report.
    @Test(arguments: [("segv", 139), ("abort", 134), ("1", 132)])
    func aCrashRestoresTheTerminal(kind: String, status: Int) throws {
        let session = try TmuxSession(
            command: "env -u SWIFT_BACKTRACE ASYNCTOP_TEST_CRASH=\(kind) '\(BuiltBinary.fixture!)'", cols: 120, rows: 40)
        let screen = session.waitFor(timeout: .seconds(120)) { $0.contains("asynctop-exit=") }
        #expect(screen.contains("asynctop-exit=\(status)"), "\(screen)")
        #expect(!session.alternateScreenOn())
        #expect(session.cursorVisible())
        #expect(session.captureWithHistory().contains("Program crashed"))
    }

    @Test func quitRestoresTheTerminalAndExitsZero() throws {
        let session = try start()
        session.send("q")
        let screen = session.waitFor { $0.contains("asynctop-exit=") }
        #expect(screen.contains("asynctop-exit=0"))
        #expect(!screen.contains("asynctop · loop"))
    }

    @Test func sigtermRestoresTheTerminal() throws {
        let session = try start()
        let pid = try #require(session.commandPID())
        kill(pid, SIGTERM)
        let screen = session.waitFor { $0.contains("asynctop-exit=") }
        #expect(screen.contains("asynctop-exit=143"))
        #expect(!screen.contains("asynctop · loop"))
    }

    @Test func tooSmallWindowShowsAMessageAndRecovers() throws {
        let session = try start()
        #expect(session.waitFor("worker-0-1"))
        #expect(session.resize(cols: 20, rows: 5) == 0)
        #expect(session.waitFor("Terminal too small"))
        #expect(session.resize(cols: 100, rows: 30) == 0)
        #expect(session.waitFor("F1Help"))
        #expect(!session.capture().contains("Terminal too small"))
    }

    @Test func startingTooSmallStillQuitsCleanly() throws {
        let session = try TmuxSession(command: "'\(BuiltBinary.fixture!)'", cols: 20, rows: 5)
        #expect(session.waitFor("Terminal too small"))
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    static let chartTitles = ["Tasks live", "Spawned/s", "Steps/s", "Busy", "Lag p99", "Ready queue", "Lints"]

    private func hasBraille(_ text: String) -> Bool { text.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) } }

    /// `L` opens the loop view: a braille chart per measure, the histograms; `L` closes it.
    @Test func theLoopViewChartsTheSeries() throws {
        let session = try start()
        session.send("L")
        let screen = session.waitFor { $0.contains("Lints ") && $0.contains("Timer lag  n ") }
        for title in Self.chartTitles { #expect(screen.contains("\n \(title) "), "\(title): \(screen)") }
        #expect(screen.contains("Step times  n ") && screen.contains("Latencies  n "))
        #expect(screen.contains("s … now"))
        #expect(hasBraille(screen), "\(screen)")
        session.send("L")
        #expect(session.waitFor("F1Help"))
        #expect(!session.capture().contains("Tasks live"))
    }

    /// With `--ascii`, the same charts without a braille dot.
    @Test func theLoopViewInASCII() throws {
        let session = try TmuxSession(command: "'\(BuiltBinary.fixture!)' --ascii", cols: 120, rows: 40)
        try #require(session.waitFor("asynctop . loop fixture"), "the dashboard never appeared")
        session.send("L")
        let screen = session.waitFor { $0.contains("Lints ") && $0.contains("Timer lag  n ") }
        for title in Self.chartTitles { #expect(screen.contains("\n \(title) "), "\(title): \(screen)") }
        #expect(screen.contains("s .. now") && screen.contains("#"))
        #expect(!hasBraille(screen) && screen.unicodeScalars.allSatisfy(\.isASCII), "\(screen)")
        session.send("Escape")
        #expect(session.waitFor("F1Help"))
    }

    /// Snapshots without series or histograms (an older program): the loop view says so and
    /// charts the lints alone; the header and details show no trace of them.
    @Test func withoutASeriesTheLoopViewChartsTheLintsAlone() throws {
        let session = try start(arguments: "--no-series")
        let tasks = session.waitFor { $0.contains("worker-0-1") && $0.contains("F1Help") }
        #expect(!tasks.unicodeScalars.contains { (0x2581...0x2588).contains($0.value) }, "no sparkline: \(tasks)")
        session.send("L")
        let screen = session.waitFor { $0.contains("No one-second series") && $0.contains(" Lints ") }
        // No chart but the lints' (a chart's title starts its line; the header says "Busy" mid-line).
        #expect(!screen.contains("\n Busy ") && !screen.contains("\n Tasks live") && !screen.contains("Step times"), "\(screen)")
        session.send("Escape")
        #expect(session.waitFor("F1Help"))
        session.send("j", "j", "Enter")
        let details = session.waitFor { $0.contains(" Task 3 worker-0-1") && $0.contains("Cancellation") }
        #expect(!details.contains("Step times") && !details.contains("Latencies"))
    }

    @Test func hundredThousandTasksStayResponsive() throws {
        let session = try start(arguments: "--tasks 100000")
        #expect(session.waitFor("spawned 100000"))
        session.send("G")
        #expect(session.waitFor("  65535 ✓ done"))
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }
}

/// Without a terminal the fixture must say why and fail, not spin or garble the output.
@Suite(.offCooperativePool, .enabled(if: BuiltBinary.fixture != nil, "asynctop-tui-fixture not found next to the test bundle"))
struct FixtureWithoutTerminalTests {
    @Test func stdinNotATerminalPrintsAClearErrorAndFails() throws {
        let (status, output) = TmuxSession.run([BuiltBinary.fixture!], stdinPath: "/dev/null")
        #expect(status == 1)
        #expect(output == "asynctop: standard input is not a terminal; the dashboard needs an interactive terminal\n")
    }
}

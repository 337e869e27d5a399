import Foundation
import Testing
import TmuxTestSupport

/// The real `asynctop` where it used to fail its users: tiny windows, crashes, terminals
/// that cannot draw, a non-UTF-8 locale, tmux's Home and End, a replay's commands.
@Suite(.offCooperativePool, .enabled(if: TmuxSession.isAvailable, "tmux is not installed"),
       .enabled(if: BuiltBinary.asynctop != nil, "asynctop not found next to the test bundle"))
struct DashboardTrustTests {
    private var binary: String { BuiltBinary.asynctop! }

    /// A quoted command line for the pane's shell.
    private func command(_ environment: String = "", _ arguments: String = "") -> String {
        "\(environment) '\(binary)' \(arguments)"
    }

    @Test func tinyWindowsDoNotCrashAndTheDashboardComesBack() throws {
        let session = try TmuxSession(command: command("", "--demo gather"), cols: 120, rows: 40)
        #expect(session.waitFor("F10Quit"))
        for (cols, rows) in [(20, 4), (200, 3), (4, 20), (1, 1), (80, 2), (40, 12), (20, 80), (3, 3)] {
            #expect(session.resize(cols: cols, rows: rows) == 0)
            // A frame at that size: the message when there is room for it, then the next size.
            if rows >= 4 && cols >= 19 { #expect(session.waitFor("Terminal too small") || rows >= 12, "\(cols)x\(rows)") }
            Thread.sleep(forTimeInterval: 0.3)
            #expect(!session.capture().contains("asynctop-exit="), "still running at \(cols)x\(rows)")
        }
        #expect(session.resize(cols: 120, rows: 40) == 0)
        #expect(session.waitFor { $0.contains("F10Quit") && $0.contains("demo gather") }.contains("F10Quit"),
                "the dashboard is back at full size")
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    /// SIGTERM to a dashboard that serves its loop (ASYNCTOP_SOCKET): the terminal is given
    /// back and the socket file removed, both handlers having their turn.
    @Test func sigtermRestoresTheTerminalAndRemovesTheSocket() throws {
        let socket = "/tmp/at-term-\(getpid())-\(UUID().uuidString.prefix(6)).sock"
        defer { unlink(socket) }
        let session = try TmuxSession(command: command("ASYNCTOP_SOCKET='\(socket)'"), cols: 120, rows: 40)
        #expect(session.waitFor("F10Quit"))
        // The loop's monitor binds its socket as the loop starts, which a loaded machine may
        // put after the first frame.
        let bound = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: socket) && Date() < bound { Thread.sleep(forTimeInterval: 0.05) }
        #expect(FileManager.default.fileExists(atPath: socket))
        let pid = try #require(session.commandPID())
        kill(pid, SIGTERM)
        #expect(session.waitFor("asynctop-exit=143"), "\(session.capture())")
        #expect(!session.alternateScreenOn())
        #expect(session.cursorVisible())
        #expect(!FileManager.default.fileExists(atPath: socket), "the socket file is removed")
    }

    @Test func startingInAFourRowWindowWorks() throws {
        let session = try TmuxSession(command: command(), cols: 80, rows: 4)
        #expect(session.waitFor("Terminal too small"))
        #expect(session.resize(cols: 100, rows: 30) == 0)
        #expect(session.waitFor("F10Quit"))
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    /// ASYNCTOP_TEST_CRASH=1 traps (SIGILL) after the first frame. Without SWIFT_BACKTRACE, as
    /// users run it: the crash report must not wait for a key, and the shell must work after.
    @Test func aCrashGivesTheTerminalBackWithoutAKeyPress() throws {
        let session = try TmuxSession(
            command: "env -u SWIFT_BACKTRACE ASYNCTOP_TEST_CRASH=1 '\(binary)'; echo crash-exit=$?; PS1='after-crash$ ' exec sh -i",
            cols: 120, rows: 40)
        // The crash report takes seconds (symbolication); no key is pressed meanwhile.
        let screen = session.waitFor(timeout: .seconds(120)) { $0.contains("after-crash$") }
        #expect(screen.contains("crash-exit=132"), "died of SIGILL: \(screen)")
        let all = session.captureWithHistory()
        #expect(all.contains("Program crashed: Illegal instruction"), "the runtime's crash report is on the normal screen")
        #expect(!all.contains("Press space to interact"), "the report did not wait for a key")
        #expect(!session.alternateScreenOn())
        #expect(session.cursorVisible())
        // The terminal's mode is back: what is typed echoes, and the shell runs it.
        session.type("echo typed-$((40 + 2))")
        session.send("Enter")
        let after = session.waitFor { $0.contains("typed-42\n") || $0.hasSuffix("typed-42") }
        #expect(after.contains("echo typed-$((40 + 2))"), "typing echoes (cooked mode): \(after)")
        #expect(after.contains("typed-42"))
    }

    @Test func aDumbTerminalIsRefusedAndLeftAlone() throws {
        let session = try TmuxSession(command: command("TERM=dumb"), cols: 120, rows: 20)
        let screen = session.waitFor { $0.contains("asynctop-exit=") }
        #expect(screen.contains("asynctop-exit=2"))
        #expect(screen.contains("TERM=dumb cannot draw a screen"), "got: \(screen)")
        #expect(!session.alternateScreenOn())
        #expect(session.cursorVisible())
        // Nothing but the message was written: no escape sequence left its marks.
        let lines = screen.split(separator: "\n").filter { !$0.isEmpty }
        #expect(lines.first?.hasPrefix("asynctop: TERM=dumb") == true, "got: \(screen)")
        let unknown = try TmuxSession(command: command("TERM=no-such-terminal"), cols: 120, rows: 20)
        #expect(unknown.waitFor { $0.contains("asynctop-exit=") }.contains("asynctop-exit=2"))
    }

    @Test(arguments: ["LANG=C LC_ALL=C", "LC_ALL=C", "LANG=en_US.ISO-8859-1 LC_ALL=en_US.ISO-8859-1"])
    func aLocaleThatIsNotUTF8GetsASCII(locale: String) throws {
        let session = try TmuxSession(command: command("env -u LC_CTYPE \(locale)", "--demo gather"), cols: 120, rows: 40)
        let screen = session.waitFor { $0.contains("`- c") }
        #expect(screen.contains("|- a"), "ASCII tree guides: \(screen)")
        #expect(screen.contains(" asynctop . loop asynctop . running"), "no · in the title")
        let outside = screen.filter { !$0.isASCII }
        #expect(outside.isEmpty, "\(outside)")
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    /// tmux sends `ESC [1~` and `ESC [4~` for Home and End; a TERM that expects other forms
    /// (xterm's `ESC OH`) made them an Esc and three stray characters.
    @Test(arguments: ["", "TERM=xterm-256color", "TERM=screen"])
    func homeAndEndMoveAndAreNotEsc(term: String) throws {
        let session = try TmuxSession(command: command(term, "--demo gather"), cols: 120, rows: 40)
        #expect(session.waitFor { $0.contains("└─ c") && $0.components(separatedBy: "✓ done").count >= 5 }.contains("└─ c"))
        // End selects the last task: its details open on Enter.
        session.send("End")
        session.send("Enter")
        // Task ids are the runtime's: match the title, not a number.
        func showsTask(_ name: String) -> (String) -> Bool {
            { $0.range(of: #" Task \d+ "# + name + "(\\s|$)", options: .regularExpression) != nil }
        }
        #expect(showsTask("c")(session.waitFor(showsTask("c"))), "End went to the last task")
        // In the details, Home scrolls to the top and does not go back (as Esc would).
        session.send("Home")
        Thread.sleep(forTimeInterval: 0.5)
        #expect(showsTask("c")(session.capture()), "Home was not taken for Esc")
        session.send("Escape")
        #expect(session.waitFor("F1Help"), "back in the task list")
        session.send("Home")
        session.send("Enter")
        #expect(showsTask("demo gather")(session.waitFor(showsTask("demo gather"))), "Home went to the first task")
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    @Test func aReplayOffersNoCancelAndNoLauncher() throws {
        let directory = NSTemporaryDirectory() + "asynctop-trust-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recording = "\(directory)/gather.ndjson"
        let (status, output) = TmuxSession.run([binary, "demo", "gather", "--headless", "--record", recording])
        try #require(status == 0, "recording failed: \(output)")
        let session = try TmuxSession(command: command("", "replay '\(recording)'"), cols: 120, rows: 40)
        let screen = session.waitFor { $0.contains("F10Quit") && $0.contains("gather") }
        let footer = screen.split(separator: "\n").last { $0.contains("F10Quit") }.map(String.init) ?? ""
        #expect(!footer.contains("Cancel") && !footer.contains("Demos"), "footer: \(footer)")
        session.send("j")
        session.send("c")
        #expect(session.waitFor("a replay cannot cancel tasks"))
        #expect(!session.capture().contains("Cancel task"))
        session.send("d")
        #expect(session.waitFor("a replay cannot launch demos"))
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }
}

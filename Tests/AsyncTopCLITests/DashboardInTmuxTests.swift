import Foundation
import Testing
import TmuxTestSupport

/// The real `asynctop` in a real terminal: its own loop, the demos, the dashboard.
@Suite(.offCooperativePool, .enabled(if: TmuxSession.isAvailable, "tmux is not installed"),
       .enabled(if: BuiltBinary.asynctop != nil, "asynctop not found next to the test bundle"))
struct DashboardInTmuxTests {
    func start(_ arguments: String = "", cols: Int = 130, rows: Int = 40) throws -> TmuxSession {
        try TmuxSession(command: "'\(BuiltBinary.asynctop!)' \(arguments)", cols: cols, rows: rows)
    }

    @Test func aDemoRunsOnTheLiveLoopAndShowsItsTree() throws {
        let session = try start("--demo gather", cols: 120, rows: 40)
        #expect(session.waitFor("demo gather"))
        #expect(session.alternateScreenOn())
        // a, b, c under the demo, finishing b first and all three done after 0.3 s.
        let screen = session.waitFor { $0.contains("└─ c") && $0.components(separatedBy: "✓ done").count >= 5 }
        #expect(screen.contains("├─ a") && screen.contains("├─ b") && screen.contains("└─ c"))
        #expect(screen.contains("loop asynctop · running"))
        // A resize redraws at the new size, and back.
        #expect(session.resize(cols: 100, rows: 30) == 0)
        #expect(session.waitFor { $0.split(separator: "\n").contains { $0.contains("F10Quit") } }.contains("demo gather"))
        #expect(session.resize(cols: 120, rows: 40) == 0)
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
        #expect(!session.alternateScreenOn(), "the terminal is back from the alternate screen")
    }

    /// The live loop's own series and histograms, drawn by the loop view: the crawler spawns
    /// 50 fetches within about a second, and every step lands in the step-time histogram.
    @Test func theLoopViewChartsTheLiveLoopsLastSeconds() throws {
        let session = try start("--demo semaphore-crawler", cols: 120, rows: 40)
        #expect(session.waitFor("demo semaphore-crawler"))
        // The demo's second of fetches, and two whole seconds of loop time after it.
        Thread.sleep(forTimeInterval: 3.3)
        session.send("L")
        let screen = session.waitFor { $0.contains("Spawned/s") && $0.contains("Step times") }
        func number(after label: String) -> Double? {
            guard let range = screen.range(of: label) else { return nil }
            let digits = screen[range.upperBound...].drop { $0 == " " }.prefix { $0.isNumber || $0 == "." }
            return Double(digits)
        }
        // 50 fetches (and the demo's own task) within one or two seconds.
        let spawnedMax = screen.components(separatedBy: "\n").first { $0.contains("Spawned/s") }
            .flatMap { line in line.range(of: "max ").map { Double(line[$0.upperBound...].prefix { $0.isNumber }) } } ?? nil
        #expect((spawnedMax ?? 0) >= 25, "\(screen)")
        #expect((number(after: "Step times  n ") ?? 0) >= 100, "\(screen)")
        #expect(screen.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) }, "braille charts: \(screen)")
        session.send("Escape")
        #expect(session.waitFor("demo semaphore-crawler"))
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    @Test func ctrlCRestoresTheTerminal() throws {
        // Ctrl-C signals the pane's whole foreground group: the wrapping shell traps it so it
        // lives on to print the status.
        let session = try TmuxSession(command: "trap : INT; '\(BuiltBinary.asynctop!)'", cols: 120, rows: 40)
        #expect(session.waitFor("F10Quit"))
        session.send("C-c")
        #expect(session.waitFor("asynctop-exit=130"))
        #expect(!session.alternateScreenOn())
    }

    @Test func whatADemoSaysShowsUnderTheTasks() throws {
        let session = try start("demo single-thread-executor", cols: 120, rows: 32)
        let screen = session.waitFor { $0.contains("» call-") }
        #expect(screen.contains("on serial-0: waited"), "\(screen)")
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    @Test func asciiAndMonochromeOnRequest() throws {
        let session = try start("--ascii --no-color --demo gather")
        let screen = session.waitFor { $0.contains("`- c") }
        #expect(screen.contains("|- a"), "ASCII tree guides")
        #expect(!screen.contains("├─") && !screen.contains("✓"))
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    @Test func theLauncherStartsADemoAndCancelReachesTheLoop() throws {
        let session = try start()
        #expect(session.waitFor("F2Demos"))
        session.send("d")
        #expect(session.waitFor("cancel-cascade"))
        // cancel-cascade is the seventeenth of the catalogue (see DemoCatalogue.all).
        for _ in 1...16 { session.send("j") }
        #expect(session.waitFor { $0.contains("cancel-cascade") && $0.contains("gatherer") }.contains("gatherer"),
                "its explanation shows under the list")
        session.send("Enter")
        #expect(session.waitFor("├─ root"))
        #expect(session.waitFor("middle"))
        // Select root (the demo task, then root) and cancel it from the dashboard.
        session.send("g")
        session.send("j")
        session.send("c")
        #expect(session.waitFor("Cancel task"))
        session.type("from tmux")
        session.send("Enter")
        let screen = session.waitFor { $0.contains("⊘ cancelled") && $0.contains("from tmux") }
        #expect(screen.contains("from tmux"), "the message of the dashboard's cancel shows on the task")
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    @Test func aReadStuckOnASilentPeerIsNamedLintedAndCancelledWithKeys() throws {
        // Lint limits of 1 s: the stuck read is flagged within seconds, not after ten.
        let session = try start("demo stuck-peer --read-wait-ms 1000", cols: 140, rows: 36)
        let stuck = session.waitFor { $0.contains("fetch without timeout") && $0.contains("readline 127.0.0.1:") }
        #expect(stuck.contains("accept 127.0.0.1:"), "the server's task waits in accept: \(stuck)")
        #expect(session.waitFor { $0.contains("⚠ fetch without timeout") }.contains("⚠ fetch without timeout"),
                "the lint marks the stuck fetch")
        session.send("l")
        let pane = session.waitFor { $0.contains("read without timeout") && $0.contains("no timeout around it") }
        #expect(pane.contains("in readline on 127.0.0.1:"), "\(pane)")
        // Enter goes to the stuck task; c cancels it.
        session.send("Enter")
        #expect(session.waitFor("F1Help"))
        session.send("c")
        #expect(session.waitFor("Cancel task"))
        session.send("Enter")
        let after = session.waitFor { $0.contains("the read without a timeout waited until cancelled") }
        #expect(after.contains("waited until cancelled"), "the demo saw its read end with the cancel: \(after)")
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    /// The resources view of the live loop: the echo server's listening socket and its
    /// connections (both ends on loopback), each with the task reading from it; once the demo
    /// has closed them all, the view says there are none.
    @Test func theResourcesViewListsTheEchoServersSockets() throws {
        let session = try start("demo echo-server", cols: 140, rows: 40)
        // The demo lasts about a second: open the view as soon as the dashboard is up.
        #expect(session.waitFor("F10Quit"))
        session.send("r")
        let pane = session.waitFor { screen in
            let lines = screen.split(separator: "\n")
            return lines.contains { $0.hasPrefix(" TCP ") && $0.contains("127.0.0.1:") }
                && lines.contains { $0.hasPrefix(" Server ") && $0.contains("127.0.0.1:") }
        }
        let lines = pane.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix(" Server ") && $0.contains("(fd ") }, "\(pane)")
        #expect(lines.contains { $0.hasPrefix(" KIND ") && $0.contains("WAITERS") && $0.contains("DETAIL") }, "\(pane)")
        #expect(pane.contains(" Resources (") && pane.contains("TCP socket"), "\(pane)")
        #expect(lines.contains { $0.hasPrefix(" TCP ") && $0.contains("idle ") }, "bytes and idle time in the detail: \(pane)")
        // Live: the sockets go with the demo.
        #expect(session.waitFor("No resources:"), "\(session.capture())")
        session.send("Escape")
        #expect(session.waitFor("F10Quit"))
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    @Test func theLintsPaneNamesTheBlockerAndGoesToItsMarkedRow() throws {
        let session = try start("demo blocking-the-loop")
        // The mark comes with the blocker's 0.3 s step, once the step has returned.
        #expect(session.waitFor("└─ ⚠ blocker"))
        session.send("l")
        let pane = session.waitFor { $0.contains("KIND") && $0.contains("blocker (") }
        let row = pane.split(separator: "\n").first { $0.contains("blocker (") }
        #expect(row?.contains("⚠ long step") == true, "got: \(pane)")
        #expect(row?.contains("held the loop for") == true)
        // Enter selects the blocker in the task list; Enter again opens its details, lint included.
        session.send("Enter")
        #expect(session.waitFor { $0.contains("F1Help") }.contains("└─ ⚠ blocker"))
        session.send("Enter")
        let details = session.waitFor { $0.contains("Lints (1)") }
        #expect(details.contains("blocker") && details.contains("held the loop for"), "got: \(details)")
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    @Test func slowStepMsRaisesTheLongStepThreshold() throws {
        let session = try start("demo blocking-the-loop --slow-step-ms 2000")
        // Done after its 0.3 s step, and no mark: that step is under 2 s.
        #expect(session.waitFor { $0.contains("✓ done       └─ blocker") }.contains("└─ blocker"))
        session.send("l")
        let pane = session.waitFor { $0.contains("long step > 2.0s") }
        #expect(pane.contains("long step > 2.0s"))
        #expect(!pane.contains("blocker ("))
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    @Test func sigtermRestoresTheTerminal() throws {
        let session = try start()
        #expect(session.waitFor("F10Quit"))
        let pid = try #require(session.commandPID())
        kill(pid, SIGTERM)
        #expect(session.waitFor("asynctop-exit=143"))
        #expect(!session.capture().contains("F10Quit"), "the dashboard is gone from the screen")
    }
}

@Suite(.offCooperativePool, .enabled(if: BuiltBinary.asynctop != nil, "asynctop not found next to the test bundle"))
struct CommandLineTests {
    @Test func demosListsTheCatalogue() {
        let (status, output) = TmuxSession.run([BuiltBinary.asynctop!, "demos"])
        #expect(status == 0)
        for name in ["gather", "to-thread", "cancel-cascade"] { #expect(output.contains(name)) }
    }

    @Test func anUnknownDemoIsAClearError() {
        let (status, output) = TmuxSession.run([BuiltBinary.asynctop!, "--demo", "nope"])
        #expect(status != 0)
        #expect(output.contains("unknown demo 'nope'"))
        #expect(output.contains("gather"))
    }

    @Test func withoutATerminalItSaysSoAndExits() {
        let (status, output) = TmuxSession.run([BuiltBinary.asynctop!], stdinPath: "/dev/null")
        #expect(status == 2)
        #expect(output.contains("standard input is not a terminal"), "got: \(output)")
        #expect(output.contains("asynctop demos"), "points to what works without a terminal")
    }

    @Test func slowStepMsMustBeAPositiveNumberOfMilliseconds() {
        for arguments in [["--slow-step-ms", "0"], ["attach", "/nonexistent.sock", "--slow-step-ms=-5"],
                          ["replay", "/nonexistent.rec", "--slow-step-ms", "0"]] {
            let (status, output) = TmuxSession.run([BuiltBinary.asynctop!] + arguments)
            #expect(status == 64, "\(arguments)")
            #expect(output.contains("--slow-step-ms must be a number of milliseconds above 0"), "got: \(output)")
        }
    }

    @Test func helpDescribesTheCommand() {
        let (status, output) = TmuxSession.run([BuiltBinary.asynctop!, "--help"])
        #expect(status == 0)
        #expect(output.contains("top for async tasks"))
        #expect(output.contains("demos"))
    }
}

import Foundation
import Testing
import TmuxTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `asynctop attach` and `asynctop replay` in a real terminal.
@Suite(.offCooperativePool, .serialized, .enabled(if: TmuxSession.isAvailable, "tmux is not installed"),
       .enabled(if: BuiltBinary.monitorFixture != nil && BuiltBinary.asynctop != nil, "binaries not built"))
struct AttachInTmuxTests {
    @Test func attachShowsRemoteTasksSurvivesTheExitAndReconnects() throws {
        let child = try FixtureProcess(extra: ["--record", "{dir}/program.ndjson"])
        let recordPath = child.directory + "/attach.ndjson"
        let session = try TmuxSession(command: "'\(BuiltBinary.asynctop!)' attach '\(child.socket)' --record '\(recordPath)'",
                                      cols: 130, rows: 40)
        // The first picture: a loaded machine can take a while to start both programs.
        let screen = session.waitFor(timeout: .seconds(30)) { $0.contains("sleeper-3") && $0.contains("ticker") }
        #expect(screen.contains("sleeper-1") && screen.contains("parent"))
        #expect(screen.contains("pid \(child.pid)"))
        // Cancel from the attached dashboard: main, then its first child, sleeper-1.
        session.send("g")
        session.send("j")
        session.send("c")
        #expect(session.waitFor("Cancel task"))
        session.type("from attach")
        // The reason shows in the dialog as it is typed; Enter sends the cancel.
        #expect(session.waitFor { $0.contains("from attach") }.contains("from attach"))
        session.send("Enter")
        // Ask `ps` until the cancel has travelled from the dashboard to the program (a loaded
        // run took over 25 s to answer; 60 s at most).
        let cancelledAt = ContinuousClock.now + .seconds(60)
        var ps = ""
        repeat {
            ps = TmuxSession.run([BuiltBinary.asynctop!, "ps", child.socket]).output
            if ps.split(separator: "\n").contains(where: { $0.contains("sleeper-1") && $0.contains("cancelled") }) { break }
            Thread.sleep(forTimeInterval: 0.1)
        } while ContinuousClock.now < cancelledAt
        #expect(ps.split(separator: "\n").contains { $0.contains("sleeper-1") && $0.contains("cancelled") }, "\(ps)")
        child.stop(signal: SIGTERM)
        let gone = session.waitFor { $0.contains("disconnected") }
        #expect(gone.contains("disconnected"))
        #expect(gone.contains("sleeper-1"), "the last state stays")
        // The socket returns with a new process: the dashboard reconnects.
        let pid = try FixtureProcess.spawn([BuiltBinary.monitorFixture!, child.socket], output: child.directory + "/again.txt")
        defer { kill(pid, SIGKILL); var s: Int32 = 0; waitpid(pid, &s, 0) }
        let back = session.waitFor { $0.contains("pid \(pid)") }
        #expect(back.contains("pid \(pid)") && !back.contains("disconnected"))
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))

        // The attach recording replays, with the replay keys.
        let replay = try TmuxSession(command: "'\(BuiltBinary.asynctop!)' replay '\(recordPath)'", cols: 130, rows: 40)
        #expect(replay.waitFor { $0.contains("replay") && $0.contains("sleeper-2") }.contains("frame"))
        replay.send("p")
        #expect(replay.waitFor { $0.contains("paused") }.contains("paused"))
        replay.send(",")
        replay.send("]")
        replay.send(">")
        #expect(replay.waitFor { $0.contains("×2") }.contains("×2"))
        replay.send("q")
        #expect(replay.waitFor("asynctop-exit=0"))
    }

    /// Attached to a path that is not (yet) a serving socket, the dashboard says why and
    /// keeps trying; it connects once a program serves there.
    @Test func attachSaysWhyItCannotConnectAndKeepsTrying() throws {
        let directory = "/tmp/at-\(UUID().uuidString.prefix(8))"
        mkdir(directory, 0o700)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let text = directory + "/notes.txt"
        _ = FileManager.default.createFile(atPath: text, contents: Data("hello\n".utf8))
        for (path, reason) in [(text, "a regular file, not a socket"), (directory, "a directory, not a socket")] {
            let session = try TmuxSession(command: "'\(BuiltBinary.asynctop!)' attach '\(path)'", cols: 150, rows: 30)
            let screen = session.waitFor { $0.contains(reason) }
            #expect(screen.contains("connecting: \(path): \(reason) (retrying)"), "\(screen)")
            session.send("q")
            #expect(session.waitFor("asynctop-exit=0"))
        }
        let socket = directory + "/later.sock"
        let session = try TmuxSession(command: "'\(BuiltBinary.asynctop!)' attach '\(socket)'", cols: 150, rows: 30)
        let missing = session.waitFor { $0.contains("no such file") }
        #expect(missing.contains("connecting: \(socket): no such file (retrying)"), "\(missing)")
        let pid = try FixtureProcess.spawn([BuiltBinary.monitorFixture!, socket], output: directory + "/out.txt")
        defer { kill(pid, SIGKILL); var s: Int32 = 0; waitpid(pid, &s, 0) }
        let connected = session.waitFor { $0.contains("pid \(pid)") && $0.contains("sleeper-1") }
        #expect(connected.contains("pid \(pid)") && !connected.contains("no such file"), "\(connected)")
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    @Test func lintsWorkAttached() throws {
        // The locks travel with the tasks over the socket: the deadlock shows in the client,
        // and the lints view asks for the stacks that say where each party waits.
        let child = try FixtureProcess(extra: ["--deadlock"])
        let line = try Self.fixtureLine(containing: "try await b.withLock {}")
        let session = try TmuxSession(command: "'\(BuiltBinary.asynctop!)' attach '\(child.socket)'", cols: 220, rows: 40)
        let marked = session.waitFor { $0.contains("⚠ left") && $0.contains("⚠ right") }
        #expect(marked.contains("Lock second"), "\(marked)")
        session.send("l")
        let lints = session.waitFor { $0.contains("Lints (") && $0.contains("at main.swift:") }
        #expect(lints.contains("waits on Lock second at main.swift:\(line), held by right"), "\(lints)")
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    @Test func stacksShowInTheAttachedDashboard() throws {
        let child = try FixtureProcess(extra: ["--stacks"])
        let output = try String(contentsOfFile: child.outputPath, encoding: .utf8)
        let level3 = try #require(output.split(separator: "\n").first { $0.hasPrefix("expect nested level3 ") }?
            .split(separator: " ").last.flatMap { Int($0) })
        let session = try TmuxSession(command: "'\(BuiltBinary.asynctop!)' attach '\(child.socket)'", cols: 160, rows: 45)
        #expect(session.waitFor { $0.contains("nested") && $0.contains("async-let-waiter") }.contains("nested"))
        // The WHERE column: each waiting row's innermost line of the program.
        session.send("w")
        let table = session.waitFor { $0.contains("WHERE") && $0.contains("Nesting.swift:\(level3)") }
        let row = table.split(separator: "\n").first { $0.contains("nested") }
        #expect(row?.contains("Nesting.swift:\(level3)") == true, "\(table)")
        // The details of nested: its stack, innermost first, and the spawn site.
        session.send("/")
        session.type("nested")
        session.send("Enter")
        session.send("Enter")
        let details = session.waitFor { $0.contains("Stack") && $0.contains("at level3(") }
        let lines = details.split(separator: "\n").map(String.init)
        let at3 = lines.firstIndex { $0.contains("at level3(") }, at2 = lines.firstIndex { $0.contains("at level2(") }
        #expect(at3 != nil && at2 != nil && at3! < at2!, "innermost first: \(details)")
        #expect(details.contains("Nesting.swift:\(level3)"), "\(details)")
        #expect(details.contains("spawned at "), "\(details)")
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    @Test func aReplayShowsTheStacksAsTheyWere() throws {
        let child = try FixtureProcess(extra: ["--stacks", "--record", "{dir}/run.ndjson"])
        let recording = child.directory + "/run.ndjson"
        // The recording samples the stacks of tasks that waited 0.1 s: let a few frames pass.
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline,
              !(FileManager.default.contents(atPath: recording).map { String(decoding: $0, as: UTF8.self) } ?? "").contains("level3") {
            Thread.sleep(forTimeInterval: 0.1)
        }
        Thread.sleep(forTimeInterval: 0.3)
        child.stop(signal: SIGTERM)
        let session = try TmuxSession(command: "'\(BuiltBinary.asynctop!)' replay '\(recording)'", cols: 160, rows: 45)
        #expect(session.waitFor { $0.contains("replay") && $0.contains("nested") }.contains("nested"))
        // At the end of the recording, nested's stack as sampled.
        session.send("p")
        session.send("G")
        for _ in 0..<20 { session.send("]") }
        session.send("/")
        session.type("nested")
        session.send("Enter")
        session.send("Enter")
        let details = session.waitFor { $0.contains("Stack") && $0.contains("at level3(") }
        #expect(details.contains("at level3(") && details.contains("Nesting.swift:"), "\(details)")
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    /// The line of the monitor fixture's source that contains `text` (the tests read the
    /// source rather than hard-code line numbers).
    static func fixtureLine(containing text: String) throws -> Int {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let source = try String(contentsOf: root.appendingPathComponent("Sources/asynctop-monitor-fixture/main.swift"), encoding: .utf8)
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        guard let index = lines.firstIndex(where: { $0.contains(text) }) else {
            throw FixtureProcess.Failure("no line with \(text) in the fixture")
        }
        return index + 1
    }

    @Test func dashboardRecordsAndServesItsOwnLoop() throws {
        let directory = "/tmp/at-\(UUID().uuidString.prefix(8))"
        mkdir(directory, 0o700)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let session = try TmuxSession(
            command: "trap : INT; '\(BuiltBinary.asynctop!)' --demo cancel-cascade --record '\(directory)/run.ndjson' --monitor '\(directory)/m.sock'",
            cols: 130, rows: 40)
        #expect(session.waitFor { $0.contains("middle") }.contains("middle"))
        let tree = TmuxSession.run([BuiltBinary.asynctop!, "pstree", "\(directory)/m.sock"])
        #expect(tree.status == 0 && tree.output.contains("demo cancel-cascade"), "\(tree.output)")
        // The recorder writes ten frames a second: wait for one with the demo's tree, as a
        // Ctrl-C kills the process at once (after restoring the terminal), frame or no frame.
        let clock = ContinuousClock(), deadline = clock.now + .seconds(10)
        while clock.now < deadline,
              !(FileManager.default.contents(atPath: "\(directory)/run.ndjson").map { String(decoding: $0, as: UTF8.self) } ?? "")
                .contains("\"root\"") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        // Ctrl-C: the recording is whole up to its last line.
        session.send("C-c")
        #expect(session.waitFor("asynctop-exit=130"))
        let ps = TmuxSession.run([BuiltBinary.asynctop!, "ps", "\(directory)/run.ndjson"])
        #expect(!ps.output.contains("stopped at line"), "\(ps.output)")
        #expect(ps.status == 0 && ps.output.contains("root"), "\(ps.output)")
    }
}

import AsyncTopClient
import AsyncTopModel
import Foundation
import Testing
import TmuxTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A real child process that opted in to the monitor; the real `asynctop ps`/`pstree`.
@Suite(.offCooperativePool, .serialized, .enabled(if: BuiltBinary.monitorFixture != nil && BuiltBinary.asynctop != nil, "binaries not built"))
struct MonitorProcessTests {
    func asynctop(_ arguments: String...) -> (status: Int32, output: String) {
        TmuxSession.run([BuiltBinary.asynctop!] + arguments)
    }

    /// Reads messages until `condition` holds for the snapshot (or 5 s pass).
    func snapshot(_ connection: MonitorConnection, until condition: (Snapshot) -> Bool) throws -> Snapshot {
        var snapshot = Snapshot()
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if case .delta(let update)? = try connection.next(timeout: 0.5) {
                snapshot = snapshot.applying(update.delta)
                if condition(snapshot) { return snapshot }
            }
        }
        return snapshot
    }

    @Test func psAndPstreeShowTheChildsTasks() throws {
        let child = try FixtureProcess()
        let ps = asynctop("ps", child.socket)
        #expect(ps.status == 0, "\(ps.output)")
        let header = try #require(ps.output.split(separator: "\n").first)
        #expect(header.hasPrefix("ID") && header.contains("NAME") && header.contains("STATE") && header.contains("WAITING ON")
                && header.contains("PARENT") && header.contains("EXECUTOR") && header.contains("AGE"))
        for name in ["sleeper-1", "sleeper-2", "sleeper-3", "parent", "child", "ticker", "main"] {
            #expect(ps.output.contains(name), "ps lists \(name)")
        }
        #expect(ps.output.contains("sleep until"))

        let tree = asynctop("pstree", child.socket)
        #expect(tree.status == 0)
        let lines = tree.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("main (") == true, "main is the root: \(tree.output)")
        #expect(lines.contains { $0.contains("── parent (") })

        let json = asynctop("ps", child.socket, "--json")
        let rows = try JSONDecoder().decode([ProcessTable.Row].self, from: Data(json.output.utf8))
        let parent = try #require(rows.first { $0.name == "parent" })
        let inner = try #require(rows.first { $0.name == "child" })
        #expect(rows.first { $0.name == "sleeper-1" }?.state == "suspended")
        #expect(parent.waitingOn == "task \(inner.id)")

        let treeJSON = asynctop("pstree", child.socket, "--json")
        let roots = try JSONDecoder().decode([ProcessTable.Node].self, from: Data(treeJSON.output.utf8))
        #expect(roots.count == 1 && roots[0].name == "main")
        #expect(roots[0].children.map(\.name).contains("sleeper-2"))
    }

    @Test func socketIsMode0600AndRemovedOnExit() throws {
        let child = try FixtureProcess()
        var info = stat()
        #expect(lstat(child.socket, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(info.st_uid == getuid())
    }

    @Test func cancelOverTheSocketCancelsTheTaskInTheChild() throws {
        let child = try FixtureProcess()
        let connection = try MonitorConnection(path: child.socket)
        guard case .hello(let hello)? = try connection.next(timeout: 5) else { Issue.record("no hello"); return }
        #expect(hello.protocol == WireProtocol.version)
        #expect(hello.pid == child.pid)
        let first = try snapshot(connection) { $0.tasks.contains { $0.name == "sleeper-2" } }
        let target = try #require(first.tasks.first { $0.name == "sleeper-2" })
        connection.send(.cancel(id: 7, task: target.id, message: "from the test"))
        var reply: ServerMessage?
        var current = first
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, current.task(target.id)?.state.kind != .cancelled || reply == nil {
            switch try connection.next(timeout: 0.5) {
            case .delta(let update)?: current = current.applying(update.delta)
            case .reply(let id, let result)?: reply = .reply(id: id, result: result)
            default: break
            }
        }
        #expect(reply == .reply(id: 7, result: "requested"))
        #expect(current.task(target.id)?.state == .cancelled(message: "from the test"))
        #expect(current.task(target.id)?.cancel?.requestedBy == .dashboard)
        // And a fresh ps agrees.
        let ps = asynctop("ps", child.socket)
        #expect(ps.output.split(separator: "\n").contains { $0.contains("sleeper-2") && $0.contains("cancelled") })
    }

    @Test func badInputGetsErrorRepliesAndNeverStopsTheServer() throws {
        let child = try FixtureProcess()
        let connection = try MonitorConnection(path: child.socket)
        func nextReply() throws -> ServerMessage? {
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline {
                switch try connection.next(timeout: 0.5) {
                case .delta?, .hello?, nil: continue
                case let other?: return other
                }
            }
            return nil
        }
        connection.sendRaw(Array("not json\n".utf8))
        guard case .error(nil, "malformed", _)? = try nextReply() else { Issue.record("malformed"); return }
        connection.sendRaw(Array(#"{"type":"explode","id":3}"#.utf8) + [0x0A])
        guard case .error(3, "unknown-type", _)? = try nextReply() else { Issue.record("unknown type"); return }
        connection.sendRaw(Array(#"{"type":"cancel","id":4}"#.utf8) + [0x0A])
        guard case .error(4, "bad-field", _)? = try nextReply() else { Issue.record("missing field"); return }
        connection.send(.cancel(id: 5, task: 999_999_999, message: nil))
        guard case .error(5, "not-found", _)? = try nextReply() else { Issue.record("nonexistent task"); return }
        connection.sendRaw([UInt8](repeating: UInt8(ascii: "x"), count: WireProtocol.maxClientLineBytes + 10) + [0x0A])
        guard case .error(nil, "too-long", _)? = try nextReply() else { Issue.record("oversized"); return }
        connection.send(.launch(id: 6, demo: "burst"))
        guard case .error(6, "not-allowed", _)? = try nextReply() else { Issue.record("launch refused"); return }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            connection.sendRaw((0..<Int.random(in: 1...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) } + [0x0A])
        }
        connection.send(.ping(id: 99))
        var sawPong = false
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, !sawPong {
            if case .reply(99, "pong")? = try connection.next(timeout: 0.5) { sawPong = true }
        }
        #expect(sawPong, "the server still answers after random bytes")
        #expect(asynctop("ps", child.socket).status == 0)
    }

    @Test func launchWhereTheProgramAllowsIt() throws {
        let child = try FixtureProcess(extra: ["--allow-launch"])
        let connection = try MonitorConnection(path: child.socket)
        guard case .hello(let hello)? = try connection.next(timeout: 5) else { Issue.record("no hello"); return }
        #expect(hello.demos == ["burst"])
        connection.send(.launch(id: 1, demo: "burst"))
        connection.send(.launch(id: 2, demo: "nope"))
        var replies: [ServerMessage] = []
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, replies.count < 2 {
            switch try connection.next(timeout: 0.5) {
            case .reply(let id, let r)?: replies.append(.reply(id: id, result: r))
            case .error(let id, let code, _)?: replies.append(.error(id: id, code: code, message: ""))
            default: break
            }
        }
        #expect(replies == [.reply(id: 1, result: "launched"), .error(id: 2, code: "unknown-demo", message: "")])
    }

    @Test func severalClientsAndOneThatNeverReads() throws {
        // Enough tasks that a full delta (some 90 bytes a task) overflows a socket's buffer.
        let child = try FixtureProcess(extra: ["--tasks", "50000"])
        // A client that never reads: its socket buffer fills with its full snapshot.
        let stuck = try MonitorConnection(path: child.socket)
        let a = try MonitorConnection(path: child.socket)
        let b = try MonitorConnection(path: child.socket)
        for connection in [a, b] {
            let s = try snapshot(connection) { $0.tasks.count > 50000 }
            #expect(s.tasks.count > 50000)
        }
        // The others keep getting fresh deltas while the stuck one holds its updates.
        Thread.sleep(forTimeInterval: 1.5)
        let later = try snapshot(a) { $0.stats.totalSteps > 0 }
        #expect(later.stats.totalSteps > 0)
        let ps = asynctop("ps", child.socket)
        #expect(ps.status == 0)
        // The stuck client is still connected and learns how many updates it missed.
        var dropped: UInt64 = 0
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, dropped == 0 {
            if case .delta(let update)? = try stuck.next(timeout: 0.5) { dropped = update.dropped }
        }
        #expect(dropped > 0, "updates for the slow client were dropped and counted")
    }

    @Test func staleSocketIsReplacedAndALiveOneIsNot() throws {
        let first = try FixtureProcess()
        first.stop(signal: SIGKILL)  // leaves its socket file behind
        #expect(FileManager.default.fileExists(atPath: first.socket))
        let pid = try FixtureProcess.spawn([BuiltBinary.monitorFixture!, first.socket], output: first.directory + "/second.txt")
        defer { kill(pid, SIGKILL); var s: Int32 = 0; waitpid(pid, &s, 0) }
        var ok = false
        for _ in 0..<100 where !ok {
            Thread.sleep(forTimeInterval: 0.05)
            ok = (try? String(contentsOfFile: first.directory + "/second.txt", encoding: .utf8))?.contains("ready") == true
        }
        #expect(ok, "a second program took over the stale socket")
        #expect(asynctop("ps", first.socket).output.contains("sleeper-1"))
        // A third one on the same live socket refuses and runs on without a monitor (env) or fails (explicit).
        let third = TmuxSession.run([BuiltBinary.monitorFixture!, first.socket])
        #expect(third.output.contains("another process serves"))
    }

    @Test func socketInAMissingDirectoryFailsClearly() throws {
        let result = TmuxSession.run([BuiltBinary.monitorFixture!, "/tmp/no-such-dir-\(UUID().uuidString.prefix(6))/m.sock"])
        #expect(result.status != 0)
        #expect(result.output.contains("does not exist"))
    }

    @Test func recordThenReplayEqualsTheLiveStream() throws {
        let child = try FixtureProcess(extra: ["--record", "{dir}/program.ndjson"])
        let recordPath = child.directory + "/live.ndjson"
        // The client records what it receives, as `asynctop attach --record` does.
        let connection = try MonitorConnection(path: child.socket)
        var live: [Snapshot] = []
        var current = Snapshot()
        var lines: [UInt8] = []
        let deadline = Date().addingTimeInterval(2)
        var t = 0.0
        while Date() < deadline {
            guard let message = try connection.next(timeout: 0.3) else { continue }
            lines += WireCodec.line(RecordingEntry(t: t, message: message))
            t += 0.1
            if case .hello(let hello) = message { current = Snapshot(epoch: hello.epoch, loopName: hello.loopName) }
            if case .delta(let update) = message {
                current = current.applying(update.delta)
                live.append(current)
            }
        }
        _ = FileManager.default.createFile(atPath: recordPath, contents: Data(lines))
        let recording = Recording(bytes: lines)
        #expect(recording.stoppedAtLine == nil)
        #expect(recording.frameCount == live.count && live.count >= 5)
        for (i, snapshot) in live.enumerated() { #expect(recording.snapshot(at: i) == snapshot) }
        // Seeking back and forth gives the same frames.
        #expect(recording.snapshot(at: live.count - 1) == live.last)
        #expect(recording.snapshot(at: 2) == live[2])
        // ps on the recording reads its last frame.
        let ps = asynctop("ps", recordPath)
        #expect(ps.status == 0 && ps.output.contains("sleeper-3"))
        // Cut in the middle of its last line: ps loads what is valid and says where it stopped.
        let cut = recordPath + ".cut"
        _ = FileManager.default.createFile(atPath: cut, contents: Data(lines.dropLast(40)))
        let partial = asynctop("ps", cut)
        #expect(partial.status == 0 && partial.output.contains("sleeper-3"))
        #expect(partial.output.contains("recording stopped at line \(lines.filter { $0 == 0x0A }.count)"), "\(partial.output)")
        // The program's own recording (--record in the monitored program) loads too.
        child.stop(signal: SIGTERM)
        let own = Recording(bytes: [UInt8](FileManager.default.contents(atPath: child.directory + "/program.ndjson") ?? Data()))
        #expect(own.stoppedAtLine == nil && own.frameCount >= 5)
        #expect(own.last.tasks.contains { $0.name == "sleeper-1" })
        #expect(own.hello?.loopName == "fixture")
    }

    /// The socket is 0600 in a 0700 directory; if someone opens both up anyway, the peer
    /// credentials still keep another user out.
    @Test(.enabled(if: getuid() == 0, "needs root to act as another user"))
    func anotherUsersConnectionIsRefused() throws {
        let child = try FixtureProcess()
        let asOther = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", BuiltBinary.asynctop!, "ps", child.socket]
        let denied = TmuxSession.run(asOther)
        #expect(denied.status != 0, "the 0700 directory keeps others out: \(denied.output)")
        chmod(child.directory, 0o755)
        chmod(child.socket, 0o666)
        let refused = TmuxSession.run(asOther)
        #expect(refused.status != 0)
        #expect(refused.output.contains("forbidden"), "\(refused.output)")
        #expect(asynctop("ps", child.socket).status == 0, "the owner is still served")
    }

    /// `ASYNCTOP_SOCKET` turns the monitor on without a line of code: the default path in the
    /// private directory, which is 0700.
    @Test func environmentVariableServesOnTheDefaultPath() throws {
        let directory = "/tmp/at-\(UUID().uuidString.prefix(8))"
        mkdir(directory, 0o700)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pid = try FixtureProcess.spawn([BuiltBinary.monitorFixture!, "--from-environment"], output: directory + "/out.txt",
                                           environment: ["XDG_RUNTIME_DIR=\(directory)", "ASYNCTOP_SOCKET=1"])
        defer { kill(pid, SIGKILL); var s: Int32 = 0; waitpid(pid, &s, 0) }
        let socket = directory + "/asynctop/asynctop-monitor-fixture-\(pid).sock"
        var ready = false
        for _ in 0..<200 where !ready {
            Thread.sleep(forTimeInterval: 0.05)
            ready = FileManager.default.fileExists(atPath: socket)
        }
        #expect(ready, "\((try? String(contentsOfFile: directory + "/out.txt", encoding: .utf8)) ?? "")")
        var info = stat()
        #expect(stat(directory + "/asynctop", &info) == 0 && info.st_mode & 0o777 == 0o700)
        #expect(asynctop("ps", socket).output.contains("sleeper-1"))
    }

    @Test func pauseStopsTheStreamAndResumeCatchesUp() throws {
        let child = try FixtureProcess()
        let connection = try MonitorConnection(path: child.socket)
        var current = try snapshot(connection) { $0.tasks.contains { $0.name == "ticker" } }
        connection.send(.pause(id: 1))
        var paused = false
        var deltasWhilePaused = 0
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline {
            switch try connection.next(timeout: 0.2) {
            case .reply(1, "paused")?: paused = true
            case .delta(let update)?:
                current = current.applying(update.delta)
                if paused { deltasWhilePaused += 1 }
            default: break
            }
        }
        #expect(paused && deltasWhilePaused == 0)
        let stepsBefore = current.stats.totalSteps
        connection.send(.resume(id: 2))
        let resumed = try snapshot(connection) { $0.stats.totalSteps > stepsBefore }
        #expect(resumed.stats.totalSteps > stepsBefore, "the ticker ran on and the first delta after resume says so")
    }

    @Test func helpListsTheClientCommands() {
        let help = asynctop("--help").output
        for command in ["attach", "ps", "pstree", "replay"] { #expect(help.contains("  \(command) "), "\(command)") }
        #expect(asynctop("ps", "--help").output.contains("--json"))
        #expect(asynctop("replay", "--help").output.contains("seek"))
        let missing = asynctop("ps", "/tmp/no-such-socket-\(getpid())")
        #expect(missing.status == 1 && missing.output.contains("no such socket or file"))
        let empty = NSTemporaryDirectory() + "asynctop-empty-\(getpid()).ndjson"
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let noTerminal = asynctop("replay", empty)
        #expect(noTerminal.status == 2 && noTerminal.output.contains("not a terminal"), "\(noTerminal.output)")
    }

    /// Connections that come and go, bad or good, leave no descriptor behind in the child;
    /// past the limit a client is told the server is busy.
    @Test func clientsComeAndGoWithoutLeaksAndTheLimitHolds() throws {
        let child = try FixtureProcess()
        func openDescriptors() -> Int {
            (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.pid)/fd").count) ?? -1
        }
        _ = asynctop("ps", child.socket)
        Thread.sleep(forTimeInterval: 0.3)
        let before = openDescriptors()
        for i in 0..<20 {
            let connection = try MonitorConnection(path: child.socket)
            if i % 2 == 0 { connection.sendRaw(Array("garbage \(i)\n".utf8)) }
            _ = try connection.next(timeout: 1)
            connection.close()
        }
        var many: [MonitorConnection] = []
        for _ in 0..<32 { many.append(try MonitorConnection(path: child.socket)) }
        let extra = try MonitorConnection(path: child.socket)
        var busy = false
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, !busy {
            if case .error(_, "busy", _)? = try? extra.next(timeout: 0.5) { busy = true }
        }
        #expect(busy)
        for connection in many { connection.close() }
        extra.close()
        var after = openDescriptors()
        for _ in 0..<40 where after != before {
            Thread.sleep(forTimeInterval: 0.1)
            after = openDescriptors()
        }
        #expect(after == before, "descriptors before \(before), after \(after)")
        #expect(asynctop("ps", child.socket).status == 0)
    }
}

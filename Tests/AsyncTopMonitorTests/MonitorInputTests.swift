import AsyncTopClient
import AsyncTopModel
import Foundation
import Testing
import TmuxTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Hostile and unusual input to a real monitored process and to the real `asynctop`:
/// ids that are no task, bad fields, one client too many, files that are not sockets,
/// recordings of another protocol version, SIGTERM.
@Suite(.offCooperativePool, .serialized, .enabled(if: BuiltBinary.monitorFixture != nil && BuiltBinary.asynctop != nil, "binaries not built"))
struct MonitorInputTests {
    func asynctop(_ arguments: String...) -> (status: Int32, output: String) {
        TmuxSession.run([BuiltBinary.asynctop!] + arguments)
    }

    /// The next reply or error (deltas and the hello skipped), or nil after 10 s.
    func nextAnswer(_ connection: MonitorConnection) throws -> ServerMessage? {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            switch try connection.next(timeout: 0.5) {
            case .delta?, .hello?, nil: continue
            case let other?: return other
            }
        }
        return nil
    }

    /// Task id 0 marks an empty slot of the loop's id table: it once matched one, and the
    /// cancel of "task 0" crashed the program. Every id that is no live task is answered.
    @Test func cancelOfIdsThatAreNoTaskIsAnsweredAndTheProgramLives() throws {
        let child = try FixtureProcess()
        let connection = try MonitorConnection(path: child.socket)
        for (i, task) in [0, 1 << 40, UInt64.max, UInt64(Int64.max)].enumerated() {
            connection.sendRaw(Array(#"{"type":"cancel","id":\#(i),"task":\#(task)}"#.utf8) + [0x0A])
            let answer = try nextAnswer(connection)
            guard case .error(i, "not-found", _)? = answer else {
                Issue.record("task \(task): \(String(describing: answer))")
                return
            }
        }
        connection.send(.ping(id: 50))
        #expect(try nextAnswer(connection) == .reply(id: 50, result: "pong"))
        var status: Int32 = 0
        #expect(waitpid(child.pid, &status, WNOHANG) == 0, "the program still runs")
        #expect(asynctop("ps", child.socket).output.contains("sleeper-1"))
    }

    /// A negative, fractional, out-of-range or non-numeric id or task: `bad-field`, with a
    /// message of ours (no decoder text), and the id repeated only when it was valid.
    @Test func badIdsAndTasksAreBadFieldsInOurWords() throws {
        let child = try FixtureProcess()
        let connection = try MonitorConnection(path: child.socket)
        let cases: [(line: String, id: Int?, field: String)] = [
            (#"{"type":"cancel","id":1,"task":-1}"#, 1, "task"),
            (#"{"type":"cancel","id":2,"task":1.5}"#, 2, "task"),
            (#"{"type":"cancel","id":3,"task":"7"}"#, 3, "task"),
            (#"{"type":"cancel","id":4,"task":18446744073709551616}"#, 4, "task"),
            (#"{"type":"cancel","id":5,"task":null}"#, 5, "task"),
            (#"{"type":"cancel","id":6,"task":{"a":[1]}}"#, 6, "task"),
            (#"{"type":"ping","id":-3}"#, nil, "id"),
            (#"{"type":"ping","id":2.5}"#, nil, "id"),
            (#"{"type":"ping","id":"9"}"#, nil, "id"),
            (#"{"type":"ping","id":9223372036854775808}"#, nil, "id"),
            (#"{"type":"cancel","id":-1,"task":5}"#, nil, "id"),
        ]
        for (line, id, field) in cases {
            connection.sendRaw(Array(line.utf8) + [0x0A])
            let answer = try nextAnswer(connection)
            guard case .error(let gotID, let code, let message)? = answer else {
                Issue.record("\(line): \(String(describing: answer))")
                continue
            }
            #expect(gotID == id && code == "bad-field", "\(line): \(code) \(message)")
            #expect(message.hasPrefix("'\(field)' must be"), "\(line): \(message)")
            for leak in ["Swift.", "DecodingError", "codingPath", "debugDescription", "Number", "UInt64", "Int64"] {
                #expect(!message.contains(leak), "\(line): \(message)")
            }
        }
        // Malformed JSON is "malformed" in a fixed wording too.
        connection.sendRaw(Array(#"{"type":"ping","id":1"#.utf8) + [0x0A])
        guard case .error(nil, "malformed", let message)? = try nextAnswer(connection) else { Issue.record("malformed"); return }
        #expect(message == "not valid JSON")
        connection.send(.ping(id: 77))
        #expect(try nextAnswer(connection) == .reply(id: 77, result: "pong"))
    }

    /// One client past the limit is told `busy` as its first and only line: no hello.
    @Test func oneClientTooManyGetsBusyBeforeAnyHello() throws {
        let child = try FixtureProcess()
        var many: [MonitorConnection] = []
        for _ in 0..<32 {
            let connection = try MonitorConnection(path: child.socket)
            guard case .hello? = try connection.next(timeout: 10) else { Issue.record("no hello"); return }
            many.append(connection)
        }
        let extra = try MonitorConnection(path: child.socket)
        let first = try extra.next(timeout: 10)
        guard case .error(nil, "busy", _)? = first else { Issue.record("first line: \(String(describing: first))"); return }
        #expect(throws: MonitorConnection.Failure.self, "then the connection is closed") {
            while try extra.next(timeout: 10) != nil {}
        }
        for connection in many { connection.close() }
    }

    /// SIGTERM ends a serving program as SIGTERM does, and its socket file goes with it;
    /// a program with a SIGTERM handler of its own keeps it (the fixture has none).
    @Test func sigtermRemovesTheSocketFile() throws {
        let child = try FixtureProcess()
        #expect(FileManager.default.fileExists(atPath: child.socket))
        let status = child.stop(signal: SIGTERM)
        #expect(status & 0x7f == SIGTERM, "killed by SIGTERM, as without the handler (status \(status))")
        #expect(!FileManager.default.fileExists(atPath: child.socket), "the socket file is removed")

        // The same for a socket served from the environment by a loop made without a monitor.
        let directory = child.directory
        let socket = directory + "/env.sock"
        let pid = try FixtureProcess.spawn([BuiltBinary.monitorFixture!, "--plain-loop"], output: directory + "/plain.txt",
                                           environment: ["ASYNCTOP_SOCKET=\(socket)"])
        var ready = false
        for _ in 0..<200 where !ready {
            Thread.sleep(forTimeInterval: 0.05)
            ready = FileManager.default.fileExists(atPath: socket)
        }
        #expect(ready)
        kill(pid, SIGTERM)
        var plainStatus: Int32 = 0
        while waitpid(pid, &plainStatus, 0) == -1 && errno == EINTR {}
        #expect(plainStatus & 0x7f == SIGTERM)
        #expect(!FileManager.default.fileExists(atPath: socket))
    }

    /// Recordings hold the program's tasks and messages: 0600 like the socket, also when
    /// an existing file of a wider mode is overwritten.
    @Test func recordingsAreMode0600() throws {
        let directory = "/tmp/at-\(UUID().uuidString.prefix(8))"
        mkdir(directory, 0o700)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let existing = directory + "/program.ndjson"
        _ = FileManager.default.createFile(atPath: existing, contents: Data("old\n".utf8), attributes: [.posixPermissions: 0o644])
        let child = try FixtureProcess(extra: ["--record", existing])
        let fresh = directory + "/demo.ndjson"
        let demo = asynctop("demo", "gather", "--headless", "--record", fresh)
        #expect(demo.status == 0, "\(demo.output)")
        for path in [existing, fresh] {
            var info = stat()
            #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600, "\(path): \(String(info.st_mode & 0o777, radix: 8))")
        }
        child.stop(signal: SIGTERM)
        #expect(asynctop("ps", existing).output.contains("sleeper-1"))
    }

    /// `ps`/`pstree` on something that is not a monitor socket or a recording: why, and status 1.
    @Test func psOnWhatIsNoSocketSaysWhy() throws {
        let directory = "/tmp/at-\(UUID().uuidString.prefix(8))"
        mkdir(directory, 0o700)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let text = directory + "/notes.txt"
        _ = FileManager.default.createFile(atPath: text, contents: Data("hello\n".utf8))
        // A socket file nobody listens on: a program killed with SIGKILL leaves one.
        let child = try FixtureProcess()
        child.stop(signal: SIGKILL)
        let cases: [(String, String)] = [
            (directory + "/missing.sock", "no such socket or file"),
            (directory, "a directory, not a monitor socket or a recording"),
            (text, "no snapshot in the recording"),
            ("/dev/null", "not a monitor socket or a recording"),
            (child.socket, "nobody listens on this socket"),
        ]
        for (path, reason) in cases {
            for command in ["ps", "pstree"] {
                let result = asynctop(command, path)
                #expect(result.status == 1 && result.output.contains(path) && result.output.contains(reason),
                        "\(command) \(path): \(result.status) \(result.output)")
            }
        }
    }

    /// A recording of another protocol version is refused by `ps`, `pstree` and `replay`,
    /// naming the version, before any terminal is needed.
    @Test func recordingOfAnotherProtocolVersionIsRefused() throws {
        let directory = "/tmp/at-\(UUID().uuidString.prefix(8))"
        mkdir(directory, 0o700)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/v9.ndjson"
        var hello = ServerMessage.Hello(pid: 1, program: "p", loopName: "l", epoch: 0, interval: 0.1)
        hello.protocol = 9
        let snapshot = Snapshot(version: 1, takenAt: 10, tasks: [TaskInfo(id: 1, name: "t", state: .running, createdAt: 1)])
        let bytes = WireCodec.line(RecordingEntry(t: 0, message: .hello(hello)))
            + WireCodec.line(RecordingEntry(t: 0.1, message: .delta(.init(dropped: 0, delta: .full(snapshot)))))
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        // A version whose hello no longer decodes as ours is still named.
        let future = directory + "/v10.ndjson"
        _ = FileManager.default.createFile(atPath: future, contents: Data(#"{"t":0,"message":{"type":"hello","hello":{"protocol":10,"shape":"new"}}}"#.utf8 + [0x0A]))
        for (file, version) in [(path, 9), (future, 10)] {
            for command in ["ps", "pstree", "replay"] {
                let result = asynctop(command, file)
                #expect(result.status == 1, "\(command): \(result.output)")
                #expect(result.output.contains("protocol version \(version)") && result.output.contains("reads versions 1 to \(WireProtocol.version)"),
                        "\(command): \(result.output)")
            }
        }
    }
}

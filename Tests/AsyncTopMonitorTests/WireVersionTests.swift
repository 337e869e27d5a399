import AsyncTopClient
import AsyncTopModel
import CAsyncTopSupport
import Foundation
import Testing
import TmuxTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Protocol 2 against clients and servers of other versions and against bad frames: a
/// client that never says hello (protocol 1) is told to upgrade and gets no deltas; a
/// protocol 1 server is still read; a truncated, oversized or corrupt binary delta is a
/// clear error at the client; a client gone mid-frame leaves the others served.
@Suite(.offCooperativePool, .serialized, .enabled(if: BuiltBinary.monitorFixture != nil && BuiltBinary.asynctop != nil, "binaries not built"))
struct WireVersionTests {
    /// Messages until `stop` says so or 5 s pass.
    func read(_ connection: MonitorConnection, for seconds: Double = 5, until stop: (ServerMessage) -> Bool) throws -> [ServerMessage] {
        var seen: [ServerMessage] = []
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            guard let message = try connection.next(timeout: 0.2) else { continue }
            seen.append(message)
            if stop(message) { break }
        }
        return seen
    }

    @Test func aClientWithoutHelloIsToldToUpgradeAndGetsNoDeltas() throws {
        let child = try FixtureProcess()
        let old = try MonitorConnection(path: child.socket, introduce: false)
        old.send(.cancel(id: 3, task: 1, message: nil))
        old.send(.ping(id: 4))
        let seen = try read(old, for: 1.5) { _ in false }
        guard case .hello(let hello)? = seen.first else { Issue.record("no hello: \(seen)"); return }
        #expect(hello.protocol == 2)
        #expect(!seen.contains { if case .delta = $0 { true } else { false } }, "no delta before the client's hello")
        let upgrade = seen.first { if case .error(3, "upgrade", _) = $0 { true } else { false } }
        guard case .error(_, _, let message)? = upgrade else { Issue.record("no upgrade error: \(seen)"); return }
        #expect(message.contains("please upgrade") && message.contains(#"{"type":"hello","protocol":2}"#), "\(message)")
        #expect(seen.contains(.reply(id: 4, result: "pong")), "a ping is answered before the hello")
        // A hello of protocol 1 is refused by name; one of protocol 2 starts the deltas.
        old.send(.hello(id: 5, protocol: 1))
        let refused = try read(old) { if case .error(5, _, _) = $0 { true } else { false } }
        guard case .error(5, "unsupported-version", let why)? = refused.last else { Issue.record("\(refused)"); return }
        #expect(why.contains("please upgrade the client"))
        old.send(.hello(id: 6, protocol: 2))
        let after = try read(old) { if case .delta = $0 { true } else { false } }
        #expect(after.first == .reply(id: 6, result: "hello"), "the answer to the hello comes before any delta")
        guard case .delta(let update)? = after.last else { Issue.record("no delta after the hello: \(after)"); return }
        #expect(update.delta.isFull && update.delta.changed.contains { $0.name == "sleeper-1" })
    }

    /// A client that goes away while its first, large delta is being written: the server
    /// serves the next client and `ps` as before.
    @Test func aClientGoneMidFrameLeavesTheOthersServed() throws {
        let child = try FixtureProcess(extra: ["--tasks", "30000"])
        for _ in 0..<5 {
            let leaving = try MonitorConnection(path: child.socket)
            _ = try read(leaving, for: 2) { if case .hello = $0 { true } else { false } }
            usleep(150_000)
            leaving.close()
        }
        let staying = try MonitorConnection(path: child.socket)
        var snapshot = Snapshot()
        _ = try read(staying, for: 15) { message in
            if case .delta(let update) = message { snapshot = snapshot.applying(update.delta) }
            return snapshot.tasks.count > 30000
        }
        #expect(snapshot.tasks.count > 30000)
        let ps = TmuxSession.run([BuiltBinary.asynctop!, "ps", child.socket])
        #expect(ps.status == 0 && ps.output.contains("sleeper-1"), "\(ps.output)")
    }

    /// A fake server: listens at a fresh path, accepts one client after another, and for
    /// each writes `bytes` (and reads whatever the client says), then closes.
    final class FakeServer: @unchecked Sendable {
        let path: String
        let directory: String
        let listener: Int32

        init(sending bytes: @escaping @Sendable () -> [UInt8]) throws {
            directory = "/tmp/at-\(UUID().uuidString.prefix(8))"
            mkdir(directory, 0o700)
            path = directory + "/fake.sock"
            listener = asynctop_unix_listen(path, 4)
            guard listener >= 0 else { throw FixtureProcess.Failure("cannot listen at \(path)") }
            let fd = listener
            Thread {
                while true {
                    let client = asynctop_accept(fd)
                    guard client >= 0 else { return }
                    let out = bytes()
                    _ = out.withUnsafeBytes { send(client, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
                    // Let the client read before the close (its hello is read and dropped).
                    var sink = [UInt8](repeating: 0, count: 4096)
                    var poller = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
                    if poll(&poller, 1, 300) > 0 { _ = recv(client, &sink, sink.count, 0) }
                    usleep(200_000)
                    Glibc.close(client)
                }
            }.start()
        }

        deinit {
            Glibc.shutdown(listener, Int32(SHUT_RDWR))
            Glibc.close(listener)
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    static func hello(_ version: Int) -> [UInt8] {
        var hello = ServerMessage.Hello(pid: 4242, program: "old-server", loopName: "legacy", epoch: 0, interval: 0.1)
        hello.protocol = version
        return WireCodec.line(ServerMessage.hello(hello))
    }

    static let snapshot = Snapshot(version: 3, takenAt: 1_000_000_000, loopName: "legacy",
                                   tasks: [TaskInfo(id: 7, name: "from-protocol-one", state: .suspended(.sleep(until: 5_000_000_000)),
                                                    createdAt: 1, version: 3)],
                                   executors: [ExecutorInfo(name: "loop", kind: .loop)])

    /// A protocol 1 server (JSON deltas, no hello expected from clients: it answers ours
    /// with `unknown-type`) is read by `ps` as before.
    @Test func aProtocolOneServerIsStillRead() throws {
        let server = try FakeServer {
            Self.hello(1)
                + WireCodec.line(ServerMessage.error(id: nil, code: "unknown-type",
                                                     message: "unknown message type 'hello'"))
                + WireCodec.line(ServerMessage.delta(.init(dropped: 0, delta: .full(Self.snapshot))))
        }
        let ps = TmuxSession.run([BuiltBinary.asynctop!, "ps", server.path])
        #expect(ps.status == 0 && ps.output.contains("from-protocol-one"), "\(ps.output)")
        // And a server of a later protocol is refused by name.
        let later = try FakeServer { Self.hello(3) }
        let refused = TmuxSession.run([BuiltBinary.asynctop!, "ps", later.path])
        #expect(refused.status != 0 && refused.output.contains("protocol 3") && refused.output.contains("please upgrade asynctop"),
                "\(refused.output)")
    }

    /// Frames that cannot be read are errors that say what was wrong, never a crash.
    @Test func badFramesAreClearErrors() throws {
        let good = DeltaCodec.encode(.full(Self.snapshot), base: nil)
        let frame = { @Sendable (bytes: Int, payload: [UInt8]) -> [UInt8] in
            Array(#"{"type":"delta","dropped":0,"bytes":\#(bytes)}"#.utf8) + [0x0A] + payload
        }
        let cases: [(name: String, bytes: [UInt8], expect: String)] = [
            ("truncated", frame(good.count, Array(good.prefix(good.count / 2))), "closed the connection"),
            ("oversized", frame(WireProtocol.maxServerLineBytes + 1, []), "too large"),
            ("corrupt", frame(good.count, good.map { $0 ^ 0x5A }), "bad delta"),
            ("unannounced", frame(9, [DeltaCodec.format, 0, 1, 2, 0, 0, 1, 2, 7]), "bad delta"),
        ]
        for (name, bytes, expect) in cases {
            let server = try FakeServer { Self.hello(2) + bytes }
            let connection = try MonitorConnection(path: server.path)
            var failure: String?
            do {
                _ = try read(connection) { _ in false }
            } catch {
                failure = "\(error)"
            }
            #expect(failure?.contains(expect) == true, "\(name): \(failure ?? "no error")")
            // Good bytes from the same server shape decode.
        }
        let fine = try FakeServer { Self.hello(2) + frame(good.count, good) }
        let connection = try MonitorConnection(path: fine.path)
        let seen = try read(connection) { if case .delta = $0 { true } else { false } }
        guard case .delta(let update)? = seen.last else { Issue.record("\(seen)"); return }
        #expect(update.delta.changed == Self.snapshot.tasks)
    }
}

import AsyncTopModel
import Foundation
import Testing
@testable import AsyncTopRuntime

/// The loop's I/O on real loopback sockets: servers, connections, the stream calls, drain's
/// back-pressure, cancellation of an I/O wait, and what a waiting task shows.
@Suite struct StreamTests {
    /// A socket of `type` bound to a free port of 127.0.0.1, and the port.
    static func boundLoopbackSocket(type: Int32) -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, type, 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// An echo server on a port the system picks: each line comes back upper-cased.
    static func upperServer() async throws -> Server {
        try await startServer(host: "127.0.0.1", port: 0) { reader, writer in
            while true {
                let line = try await reader.readLine()
                if line.isEmpty { break }
                try writer.write(String(decoding: line, as: UTF8.self).uppercased())
                try await writer.drain()
            }
            writer.close()
        }
    }

    @Test func echoRoundTripsOverLoopback() async throws {
        try await onLoop {
            let server = try await Self.upperServer()
            let port = try #require(server.port)
            let (reader, writer) = try await openConnection(host: "127.0.0.1", port: port)
            for word in ["hello\n", "asyncio\n", "swift\n"] {
                try writer.write(word)
                #expect(try await reader.readLine() == Array(word.uppercased().utf8))
            }
            try writer.writeEOF()
            #expect(try await reader.read() == [])
            #expect(reader.atEOF)
            #expect(writer.peerName == "127.0.0.1:\(port)")
            #expect(writer.bytesWritten == 20 && writer.bytesRead == 20)
            writer.close()
            try await writer.waitClosed()
            server.close()
            try await server.waitClosed()
            #expect(!server.isServing)
        }
    }

    @Test func readExactlyReadUntilAndTheirErrors() async throws {
        try await onLoop {
            let server = try await startServer(port: 0) { _, writer in
                try writer.write("abcdef--ghi")
                writer.close()
            }
            let (reader, writer) = try await openConnection(host: "localhost", port: try #require(server.port))
            #expect(try await reader.readExactly(3) == Array("abc".utf8))
            #expect(try await reader.readUntil(Array("--".utf8)) == Array("def--".utf8))
            do {
                _ = try await reader.readExactly(10)
                Issue.record("a stream that ends early must throw")
            } catch let error as IncompleteReadError {
                #expect(error.partial == Array("ghi".utf8) && error.expected == 10)
            }
            #expect(try await reader.read(5) == [])
            writer.close()
            server.close()
        }
    }

    @Test func aLineLongerThanTheLimitIsRefusedAndDropped() async throws {
        try await onLoop {
            let server = try await startServer(port: 0) { _, writer in
                try writer.write(String(repeating: "x", count: 300) + "\nshort\n")
                writer.close()
            }
            let (reader, writer) = try await openConnection(host: "127.0.0.1", port: try #require(server.port), limit: 100)
            await #expect(throws: StreamError.lineTooLong(limit: 100)) { _ = try await reader.readLine() }
            // The long line's bytes went; what follows is read as usual.
            var line: [UInt8] = []
            while line.isEmpty || line.first == UInt8(ascii: "x") { line = try await reader.readLine() }
            #expect(line == Array("short\n".utf8))
            writer.close()
            server.close()
        }
    }

    @Test func connectionRefusedAndUnknownHostSayWhat() async throws {
        try await onLoop {
            // A port bound and not listening: a connect to it is refused for sure (a closed
            // server's port may be taken again, or be the connect's own ephemeral port).
            let (bound, port) = Self.boundLoopbackSocket(type: Int32(SOCK_STREAM.rawValue))
            defer { close(bound) }
            do {
                _ = try await openConnection(host: "127.0.0.1", port: port)
                Issue.record("connected to a closed port")
            } catch let error as IOError {
                #expect(error.isConnectionRefused)
                #expect(error.description.contains("connect to 127.0.0.1:\(port)"))
                #expect(error.description.contains("ECONNREFUSED"))
            }
            await #expect(throws: ResolutionError.self) {
                _ = try await openConnection(host: "no-such-host.invalid", port: 80)
            }
            await #expect(throws: StreamError.self) { _ = try await openConnection(host: "127.0.0.1", port: 70000) }
        }
    }

    @Test func aPeerThatNeverAnswersShowsAsAReadWaitAndCancelLeavesNoInterest() async throws {
        try await onLoop {
            let server = try await startServer(port: 0) { reader, _ in
                _ = try await reader.read()  // never writes
            }
            let port = try #require(server.port)
            let (reader, writer) = try await openConnection(host: "127.0.0.1", port: port)
            let stuck = try spawn(name: "stuck reader") { _ = try await reader.read(100) }
            try await sleep(0.05)
            let record = try #require(info(stuck.id))
            guard case .suspended(.resource(let kind, _, let name)) = record.state else {
                Issue.record("not waiting on a resource: \(record.state)")
                return
            }
            #expect(kind == "read")
            #expect(name?.hasPrefix("127.0.0.1:\(port) (fd ") == true)
            #expect(record.state.description.contains("read 127.0.0.1:\(port)"))
            // The connection is listed with its counts and the waiting task.
            let resources = try #require(EventLoop.current).snapshot().resources
            let socket = try #require(resources.first { $0.kind == "TCP" && $0.waiters == [stuck.id] })
            #expect(socket.detail.contains("read"))
            #expect(socket.detail.contains("in 0 B, out 0 B"))

            stuck.cancel()
            await #expect(throws: CancellationError.self) { try await stuck.value }
            #expect(info(stuck.id)?.cancel?.deliveredIn?.hasPrefix("read 127.0.0.1:\(port)") == true)
            let after = try #require(EventLoop.current).snapshot().resources.first { $0.id == socket.id }
            #expect(after?.waiters == [])
            // The stream still works: another read gets what comes next.
            try writer.write("ping")
            writer.close()
            server.closeClients()
            server.close()
            try await server.waitClosed()
            #expect(try await reader.read() == [])
        }
    }

    @Test func drainWaitsUntilThePeerReads() async throws {
        try await onLoop {
            let release = Event(name: "release")
            let received = Recorder<Int>()
            let server = try await startServer(port: 0) { reader, writer in
                try await release.wait()
                var total = 0
                while true {
                    let chunk = try await reader.read(1 << 16)
                    if chunk.isEmpty { break }
                    total += chunk.count
                }
                received.add(total)
                writer.close()
            }
            let (_, writer) = try await openConnection(host: "127.0.0.1", port: try #require(server.port))
            let block = [UInt8](repeating: 7, count: 1 << 20)
            let drainer = try spawn(name: "drainer") {
                for _ in 0..<16 {
                    try writer.write(block)
                    try await writer.drain()
                }
                try writer.writeEOF()
            }
            try await sleep(0.1)
            // The peer reads nothing yet: the kernel's buffers fill, the writer's too.
            #expect(!drainer.done)
            let waiting = try #require(info(drainer.id))
            #expect(waiting.state.description.hasPrefix("suspended on drain 127.0.0.1:"))
            #expect(waiting.state.description.contains("buffered"))
            #expect(writer.bufferedBytes > 65536)
            release.set()
            try await drainer.value
            writer.close()
            try await writer.waitClosed()
            server.close()
            try await server.waitClosed()
            #expect(received.items == [16 << 20])
        }
    }

    @Test func manyConcurrentClients() async throws {
        try await onLoop {
            let server = try await Self.upperServer()
            let port = try #require(server.port)
            let clients = try (0..<100).map { n in
                try spawn(name: "client \(n)") { () async throws -> Bool in
                    let (reader, writer) = try await openConnection(host: "127.0.0.1", port: port)
                    defer { writer.close() }
                    for round in 0..<20 {
                        try writer.write("c\(n)r\(round)\n")
                        guard try await reader.readLine() == Array("C\(n)R\(round)\n".utf8) else { return false }
                    }
                    return true
                }
            }
            for client in clients { #expect(try await client.value) }
            server.close()
            try await server.waitClosed()
        }
    }

    @Test func aServerClosingWithClientsAttached() async throws {
        try await onLoop {
            let server = try await startServer(port: 0) { reader, writer in
                _ = try await reader.read()
                writer.close()
            }
            let port = try #require(server.port)
            var streams: [(StreamReader, StreamWriter)] = []
            for _ in 0..<3 { streams.append(try await openConnection(host: "127.0.0.1", port: port)) }
            try await settle(10)
            #expect(server.activeConnections == 3)
            server.close()
            // No new connections: its listening socket is closed (a connect to the port could
            // reach whoever takes the port next)…
            #expect(!server.isServing)
            #expect(try #require(EventLoop.current).snapshot().resources.contains { $0.kind == "Server" } == false)
            // …and the open ones go on until their handlers end.
            let closing = try spawn { try await server.waitClosed() }
            try await settle(5)
            #expect(!closing.done)
            server.closeClients()
            try await closing.value
            for (reader, writer) in streams {
                #expect(try await reader.read() == [])
                writer.close()
            }
        }
    }

    @Test func aResetConnectionIsAnIOErrorOfTheRead() async throws {
        try await onLoop {
            let loop = try #require(EventLoop.current)
            // A raw listening socket: the test accepts and resets the connection itself.
            let (listener, port) = Self.boundLoopbackSocket(type: Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue))
            defer { close(listener) }
            _ = listen(listener, 4)
            let reset = try spawn(name: "resetter") { () async throws -> Void in
                let (fd, _) = try await loop.sockAccept(listener)
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                close(fd)  // with a zero linger: RST, not FIN
            }
            let (reader, writer) = try await openConnection(host: "127.0.0.1", port: port)
            try await reset.value
            do {
                _ = try await reader.read(10)
                Issue.record("a reset connection read as data or EOF")
            } catch let error as IOError {
                #expect(error.isConnectionLost && error.symbol == "ECONNRESET", "\(error)")
                #expect(error.description.hasPrefix("read from 127.0.0.1:\(port) (fd "))
            }
            // The loop goes on: the writer is closed and a new connection works.
            writer.close()
            try await sleep(0.001)
        }
    }

    @Test func writingToAClosedWriterIsAClearError() async throws {
        try await onLoop {
            let server = try await startServer(port: 0) { reader, _ in _ = try await reader.read() }
            let (_, writer) = try await openConnection(host: "127.0.0.1", port: try #require(server.port))
            writer.close()
            #expect(writer.isClosing)
            do {
                try writer.write("late")
                Issue.record("wrote to a closed writer")
            } catch let error as StreamError {
                #expect(error.description.hasPrefix("the writer of 127.0.0.1:"))
                #expect(error.description.hasSuffix("is closed"))
            }
            server.closeClients()
            server.close()
        }
    }

    @Test func unixSocketsAndAStaleSocketFile() async throws {
        let path = NSTemporaryDirectory() + "asynctop-stream-\(getpid()).sock"
        defer { unlink(path) }
        try await onLoop {
            let first = try startUnixServer(path: path) { _, _ in }
            first.close()
            // A socket file left behind is replaced.
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
            }
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            } }
            close(fd)
            let server = try startUnixServer(path: path) { reader, writer in
                try writer.write(try await reader.readLine().reversed().dropFirst() + [0x0A])
                writer.close()
            }
            let (reader, writer) = try await openUnixConnection(path: path)
            try writer.write("olleh\n")
            #expect(try await reader.readLine() == Array("hello\n".utf8))
            writer.close()
            server.close()
            try await server.waitClosed()
            #expect(access(path, F_OK) != 0, "closing the server removes its socket file")
        }
    }

    @Test func rawSocketCallsAndAddReader() async throws {
        try await onLoop {
            let loop = try #require(EventLoop.current)
            let server = try await startServer(port: 0) { reader, writer in
                try writer.write(try await reader.read(100))
                writer.close()
            }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            defer { close(fd) }
            try await loop.sockConnect(fd, host: "127.0.0.1", port: try #require(server.port))
            try await loop.sockSendall(fd, Array("raw bytes".utf8))
            #expect(try await loop.sockRecv(fd, 100) == Array("raw bytes".utf8))
            #expect(try await loop.sockRecv(fd, 100) == [])
            // Level-triggered callbacks: a pipe's reader is called while data is there.
            var ends: [Int32] = [0, 0]
            #expect(pipe(&ends) == 0)
            defer { close(ends[0]); close(ends[1]) }
            let calls = Recorder<Int>()
            try loop.addReader(ends[0]) { calls.add(1) }
            #expect(write(ends[1], "x", 1) == 1)
            try await settle(3)
            #expect(calls.items.count >= 2, "called again while it stays readable")
            #expect(try loop.removeReader(ends[0]))
            #expect(try !loop.removeReader(ends[0]))
            let before = calls.items.count
            try await settle(3)
            #expect(calls.items.count == before)
            server.close()
        }
    }
}

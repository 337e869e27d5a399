import AsyncTopModel
import CAsyncTopSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A listening socket of the loop.
final class ListenWatch: IOWatch, @unchecked Sendable {
    let address: String
    private(set) var closed = false

    init(fd: Int32, kind: IOKind, address: String, loop: EventLoop) {
        self.address = address
        super.init(fd: fd, kind: .server, name: address, loop: loop)
    }

    func close() {
        guard !closed else { return }
        closed = true
        unregister()
        closeDescriptor()
        wakeAll()
    }

    override func loopClosed() {
        closed = true
        super.loopClosed()
    }

    override var stateDetail: String? { closed ? "closed" : nil }
}

/// A server the loop runs: asyncio's `Server`, from ``startServer(host:port:limit:backlog:_:)``.
/// Each listening socket has a task that accepts ("server 127.0.0.1:8080", waiting in
/// "accept 127.0.0.1:8080 (fd 7)"); each connection runs the handler in a task of its
/// own named "client <peer>".
public final class Server: @unchecked Sendable {
    let loop: EventLoop
    let listeners: [ListenWatch]
    /// By a number of the server's own: a bare loop does not know which task runs.
    private var handlers: [Int: TaskHandle<Void>] = [:]
    private var handlersStarted = 0
    private var closedWaiters: [SleepWaiter] = []
    private var isClosed = false
    let limit: Int
    let handler: @Sendable (StreamReader, StreamWriter) async throws -> Void
    let kind: IOKind

    init(loop: EventLoop, listeners: [ListenWatch], kind: IOKind, limit: Int,
         handler: @escaping @Sendable (StreamReader, StreamWriter) async throws -> Void) {
        self.loop = loop
        self.listeners = listeners
        self.kind = kind
        self.limit = limit
        self.handler = handler
    }

    /// The addresses it listens on ("127.0.0.1:8080", "[::1]:8080", a socket path).
    public var addresses: [String] { listeners.map(\.address) }

    /// The port of its first TCP socket (the one the system chose for port 0).
    public var port: Int? {
        listeners.lazy.compactMap { watch -> Int? in
            var address = asynctop_address()
            guard asynctop_local_address(watch.fd, &address) == 0 else { return nil }
            let port = SocketAddress(address).port
            return port == 0 ? nil : port
        }.first
    }

    /// True until `close()`: asyncio's `is_serving()`.
    public var isServing: Bool { !isClosed }

    /// Connections being handled now.
    public var activeConnections: Int { handlers.count }

    func start() throws {
        for listener in listeners {
            try listener.register()
            _ = try loop.spawn(name: "server \(listener.address)") { [self] in
                try await self.acceptLoop(listener)
            }
        }
    }

    private func acceptLoop(_ listener: ListenWatch) async throws {
        while !listener.closed {
            var peer = asynctop_address()
            let fd = asynctop_accept_nonblocking(listener.fd, &peer)
            if fd == -EAGAIN {
                try await listener.wait(.read, for: .accept)
                continue
            }
            if fd < 0 {
                if listener.closed { return }
                let error = IOError(errno: -fd, doing: "accept on \(listener.address)")
                if error.isTooManyOpenFiles || -fd == ENOBUFS || -fd == ENOMEM {
                    // asyncio's answer to running out: say so, stop accepting for a second.
                    loop.reportCallbackError(IOErrorReport(error: error, resumesIn: 1))
                    try await sleep(1)
                    continue
                }
                if -fd == ECONNABORTED || -fd == EPROTO { continue }
                throw error
            }
            let peerName = kind == .unix ? listener.address : SocketAddress(peer).description
            let streams: (StreamReader, StreamWriter)
            do {
                streams = try loop.makeStream(fd: fd, kind: kind == .unix ? .unix : .tcp, peer: peerName,
                                              local: localName(fd), limit: limit)
            } catch {
                loop.reportCallbackError(error)
                continue
            }
            let handler = self.handler
            handlersStarted += 1
            let key = handlersStarted
            let task = try loop.spawn(name: "client \(peerName)") { [self] in
                defer { self.handlerEnded(key) }
                do {
                    try await handler(streams.0, streams.1)
                } catch {
                    // asyncio logs an unhandled error of the handler and closes its transport.
                    if !(error is CancellationError) { self.loop.reportCallbackError(error) }
                    streams.1.abort()
                    throw error
                }
            }
            handlers[key] = task
        }
    }

    private func handlerEnded(_ key: Int) {
        handlers[key] = nil
        if isClosed && handlers.isEmpty { wakeClosedWaiters() }
    }

    private func wakeClosedWaiters() {
        for waiter in closedWaiters { waiter.fire() }
        closedWaiters = []
    }

    /// Stops listening: the listening sockets close and their accept tasks return.
    /// Connections already open go on (asyncio's `close()`); `closeClients()` ends them.
    public func close() {
        guard loop.isOnLoopThread else { loop.onLoop { _ in self.close() }; return }
        guard !isClosed else { return }
        isClosed = true
        // Each accept task sees its socket closed and returns (a cancel would be one it
        // never gets to acknowledge).
        for listener in listeners { listener.close() }
        if kind == .unix {
            for listener in listeners { _ = unlink(listener.address) }
        }
        if handlers.isEmpty { wakeClosedWaiters() }
    }

    /// Cancels the tasks handling open connections (asyncio's `close_clients` cancels
    /// their transports).
    public func closeClients() {
        guard loop.isOnLoopThread else { loop.onLoop { _ in self.closeClients() }; return }
        for handler in handlers.values { handler.cancel(message: "the server closed its clients") }
    }

    /// Waits until the server is closed and every connection's handler has ended:
    /// asyncio's `wait_closed()` (3.12).
    public func waitClosed() async throws {
        guard loop.isOnLoopThread else { throw LoopError.notOnLoop("Server.waitClosed") }
        while !(isClosed && handlers.isEmpty) {
            let waiter = SleepWaiter()
            closedWaiters.append(waiter)
            try await waiter.park()
        }
    }

    /// Serves until cancelled; then closes the server: asyncio's `serve_forever()`.
    public func serveForever() async throws {
        guard loop.isOnLoopThread else { throw LoopError.notOnLoop("Server.serveForever") }
        do {
            while !isClosed {
                let waiter = SleepWaiter()
                closedWaiters.append(waiter)
                try await waiter.park()
            }
        } catch {
            close()
            throw error
        }
    }
}

/// An accept that ran out of descriptors, as the loop's error log says it.
struct IOErrorReport: Error, CustomStringConvertible {
    let error: IOError
    let resumesIn: Double
    var description: String { "\(error); accepting again in \(resumesIn) s" }
}

extension EventLoop {
    /// Listens on `host:port` and runs `handler` in a new task for each connection:
    /// asyncio's `start_server`. Port 0 lets the system choose (see ``Server/port``); a
    /// host that resolves to several addresses ("localhost") listens on each.
    ///
    /// - Throws: ``ResolutionError``; the `IOError` of bind or listen (`EADDRINUSE`).
    public func startServer(
        host: String = "127.0.0.1", port: Int, limit: Int = 65536, backlog: Int = 100,
        _ handler: @escaping @Sendable (StreamReader, StreamWriter) async throws -> Void
    ) async throws -> Server {
        guard isOnLoopThread else { throw LoopError.notOnLoop("startServer") }
        let addresses = try await resolve(host: host, port: port, passive: true)
        var listeners: [ListenWatch] = []
        var chosenPort = port
        for address in addresses {
            var raw = address.raw
            if chosenPort != 0 && address.port == 0 { continue }
            if port == 0 && chosenPort != 0 {
                // Every address on the port the system chose for the first.
                guard let same = SocketAddress.numeric(host: address.description.hostPart, port: chosenPort, passive: true)?.first
                else { continue }
                raw = same.raw
            }
            let fd = asynctop_listen(&raw, Int32(backlog), 1)
            guard fd >= 0 else {
                for listener in listeners { listener.close() }
                throw IOError(errno: -fd, doing: "listen on \(SocketAddress(raw))")
            }
            let name = localName(fd) ?? SocketAddress(raw).description
            if chosenPort == 0 {
                var bound = asynctop_address()
                if asynctop_local_address(fd, &bound) == 0 { chosenPort = SocketAddress(bound).port }
            }
            listeners.append(ListenWatch(fd: fd, kind: .tcp, address: name, loop: self))
        }
        let server = Server(loop: self, listeners: listeners, kind: .tcp, limit: limit, handler: handler)
        try server.start()
        return server
    }

    /// Listens on the Unix domain socket `path` (a stale socket file there is replaced):
    /// asyncio's `start_unix_server`. Closing the server removes the file.
    public func startUnixServer(
        path: String, limit: Int = 65536, backlog: Int = 100,
        _ handler: @escaping @Sendable (StreamReader, StreamWriter) async throws -> Void
    ) throws -> Server {
        guard isOnLoopThread else { throw LoopError.notOnLoop("startUnixServer") }
        var status = stat()
        if stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFSOCK { _ = unlink(path) }
        var raw = try SocketAddress.unix(path).raw
        let fd = asynctop_listen(&raw, Int32(backlog), 0)
        guard fd >= 0 else { throw IOError(errno: -fd, doing: "listen on \(path)") }
        let server = Server(loop: self, listeners: [ListenWatch(fd: fd, kind: .unix, address: path, loop: self)],
                            kind: .unix, limit: limit, handler: handler)
        try server.start()
        return server
    }
}

/// Listens on `host:port` on the current loop: asyncio's `start_server`.
public func startServer(
    host: String = "127.0.0.1", port: Int, limit: Int = 65536, backlog: Int = 100,
    _ handler: @escaping @Sendable (StreamReader, StreamWriter) async throws -> Void
) async throws -> Server {
    guard let loop = EventLoop.current else { throw LoopError.notOnLoop("startServer") }
    return try await loop.startServer(host: host, port: port, limit: limit, backlog: backlog, handler)
}

/// Listens on a Unix domain socket on the current loop: asyncio's `start_unix_server`.
public func startUnixServer(
    path: String, limit: Int = 65536, backlog: Int = 100,
    _ handler: @escaping @Sendable (StreamReader, StreamWriter) async throws -> Void
) throws -> Server {
    guard let loop = EventLoop.current else { throw LoopError.notOnLoop("startUnixServer") }
    return try loop.startUnixServer(path: path, limit: limit, backlog: backlog, handler)
}

extension String {
    /// "::1" of "[::1]:8080", "127.0.0.1" of "127.0.0.1:8080".
    var hostPart: String {
        if hasPrefix("["), let end = firstIndex(of: "]") { return String(self[index(after: startIndex)..<end]) }
        return String(split(separator: ":").first ?? "")
    }
}

import AsyncTopModel
import CAsyncTopSupport
#if canImport(Glibc)
import Glibc
#endif

extension EventLoop {
    /// A descriptor the reactor found ready: wake its waiting task, or queue its callbacks.
    func dispatchIO(_ fd: Int32, _ events: UInt32) {
        guard let entry = reactor.entry(fd) else { return }
        if let watch = entry.watch {
            watch.handle(events: events)
            return
        }
        if events & (ASYNCTOP_IO_IN | ASYNCTOP_IO_HUP | ASYNCTOP_IO_ERR) != 0, let reader = entry.reader {
            ready.append(.callback(reader))
        }
        if events & (ASYNCTOP_IO_OUT | ASYNCTOP_IO_HUP | ASYNCTOP_IO_ERR) != 0, let writer = entry.writer {
            ready.append(.callback(writer))
        }
    }

    /// The primitives made on this loop, then its descriptors.
    func allResources() -> [ResourceInfo] {
        let primitives = ResourceRegistry.shared.resources(of: self)
        guard reactor.count > 0 else { return primitives }
        let now = timeBase.now()
        return primitives + reactor.watches.map { $0.resourceInfo(now: now) }
    }

    // MARK: asyncio's add_reader / add_writer

    /// Calls `callback` on the loop whenever `fd` is readable (once per iteration while it
    /// stays readable), until ``removeReader(_:)``: asyncio's `add_reader`. Replaces the
    /// descriptor's previous reader.
    ///
    /// - Throws: `LoopError.notOnLoop` off the loop's thread; `IOError` when the descriptor
    ///   cannot be watched (not a socket, pipe or other pollable file: `EPERM`), or is a
    ///   stream's of this loop.
    public func addReader(_ fd: Int32, _ callback: @escaping @Sendable () throws -> Void) throws {
        guard isOnLoopThread else { throw LoopError.notOnLoop("addReader") }
        _ = try reactor.setCallback(fd, .read, LoopCallback(callback))
    }

    /// Stops watching `fd` for reading; false when no reader was set: asyncio's `remove_reader`.
    @discardableResult
    public func removeReader(_ fd: Int32) throws -> Bool {
        guard isOnLoopThread else { throw LoopError.notOnLoop("removeReader") }
        guard reactor.entry(fd)?.reader != nil else { return false }
        try reactor.setCallback(fd, .read, nil)?.cancel()
        return true
    }

    /// Calls `callback` on the loop whenever `fd` is writable, until ``removeWriter(_:)``:
    /// asyncio's `add_writer`.
    public func addWriter(_ fd: Int32, _ callback: @escaping @Sendable () throws -> Void) throws {
        guard isOnLoopThread else { throw LoopError.notOnLoop("addWriter") }
        _ = try reactor.setCallback(fd, .write, LoopCallback(callback))
    }

    /// Stops watching `fd` for writing; false when no writer was set: asyncio's `remove_writer`.
    @discardableResult
    public func removeWriter(_ fd: Int32) throws -> Bool {
        guard isOnLoopThread else { throw LoopError.notOnLoop("removeWriter") }
        guard reactor.entry(fd)?.writer != nil else { return false }
        try reactor.setCallback(fd, .write, nil)?.cancel()
        return true
    }

    // MARK: Raw sockets (asyncio's sock_* calls)

    /// Runs `attempt` until it does not would-block, waiting on a watch of the caller's
    /// descriptor that lives only while the call waits (asyncio adds and removes a reader).
    func retryOnCaller<T>(_ fd: Int32, _ direction: IODirection, _ operation: IOOperation, name: String? = nil,
                          _ attempt: () throws -> T?) async throws -> T {
        if let done = try attempt() { return done }
        guard reactor.entry(fd) == nil else {
            throw IOError.inUse(fd: fd, by: reactor.entry(fd)?.watch?.label ?? "add_reader/add_writer")
        }
        let watch = IOWatch(fd: fd, kind: .socket, name: name ?? socketPeerName(fd), loop: self, ownsDescriptor: false)
        try watch.register()
        defer { watch.unregister() }
        while true {
            try await watch.wait(direction, for: operation)
            if let done = try attempt() { return done }
        }
    }

    /// Receives up to `count` bytes from a non-blocking socket; empty at end of stream:
    /// asyncio's `sock_recv`.
    public func sockRecv(_ fd: Int32, _ count: Int) async throws -> [UInt8] {
        guard isOnLoopThread else { throw LoopError.notOnLoop("sockRecv") }
        guard count >= 0 else { throw StreamError.invalidArgument("sockRecv: count must be positive, got \(count)") }
        return try await retryOnCaller(fd, .read, .read) { () throws -> [UInt8]? in
            var buffer = [UInt8](repeating: 0, count: count)
            let got = buffer.withUnsafeMutableBytes { asynctop_read(fd, $0.baseAddress, count) }
            if got == -Int64(EAGAIN) { return nil }
            if got < 0 { throw IOError(errno: Int32(-got), doing: "receive from fd \(fd)") }
            buffer.removeLast(count - Int(got))
            return buffer
        }
    }

    /// Sends every byte of `bytes` on a non-blocking socket: asyncio's `sock_sendall`.
    public func sockSendall(_ fd: Int32, _ bytes: [UInt8]) async throws {
        guard isOnLoopThread else { throw LoopError.notOnLoop("sockSendall") }
        var sent = 0
        while sent < bytes.count {
            sent += try await retryOnCaller(fd, .write, .send) { () throws -> Int? in
                let n = bytes.withUnsafeBytes { asynctop_write(fd, $0.baseAddress! + sent, bytes.count - sent, 1) }
                if n == -Int64(EAGAIN) { return nil }
                if n < 0 { throw IOError(errno: Int32(-n), doing: "send to fd \(fd)") }
                return Int(n)
            }
        }
    }

    /// Connects a non-blocking stream socket to `host:port` (a numeric address; see
    /// ``resolve(host:port:)`` for names): asyncio's `sock_connect`.
    public func sockConnect(_ fd: Int32, host: String, port: Int) async throws {
        guard isOnLoopThread else { throw LoopError.notOnLoop("sockConnect") }
        let address = try await resolve(host: host, port: port).first!
        try await connect(fd, to: address)
    }

    /// Accepts a connection on a non-blocking listening socket: the new socket (non-blocking,
    /// close-on-exec) and the peer's address: asyncio's `sock_accept`.
    public func sockAccept(_ fd: Int32) async throws -> (fd: Int32, peer: String) {
        guard isOnLoopThread else { throw LoopError.notOnLoop("sockAccept") }
        return try await retryOnCaller(fd, .read, .accept) { () throws -> (Int32, String)? in
            var peer = asynctop_address()
            let accepted = asynctop_accept_nonblocking(fd, &peer)
            if accepted == -EAGAIN { return nil }
            if accepted < 0 { throw IOError(errno: -accepted, doing: "accept on fd \(fd)") }
            return (accepted, SocketAddress(peer).description)
        }
    }

    /// Connects `fd` to `address`, waiting while it is in progress.
    func connect(_ fd: Int32, to address: SocketAddress) async throws {
        var raw = address.raw
        let started = asynctop_connect(fd, &raw)
        if started == 0 { return }
        guard started == EINPROGRESS || started == EAGAIN else {
            throw IOError(errno: started, doing: "connect to \(address)")
        }
        let outcome: Int32 = try await retryOnCaller(fd, .write, .connect, name: address.description) { () -> Int32? in
            var pending = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard Glibc.poll(&pending, 1, 0) == 1 else { return nil }
            return asynctop_socket_error(fd)
        }
        if outcome != 0 { throw IOError(errno: outcome, doing: "connect to \(address)") }
    }
}

/// "127.0.0.1:54321" for a connected socket, nil when it has no peer.
func socketPeerName(_ fd: Int32) -> String? {
    var address = asynctop_address()
    guard asynctop_peer_address(fd, &address) == 0 else { return nil }
    return SocketAddress(address).description
}

import AsyncTopModel
import CAsyncTopSupport
#if canImport(Glibc)
import Glibc
#endif

/// The read side of a connection: asyncio's `StreamReader`. Use it from tasks of the loop
/// that opened it. A task waiting in it shows as waiting to read from its peer
/// ("read 127.0.0.1:6379 (fd 9)"), and cancelling that task ends the read at once with
/// `CancellationError`, leaving the stream usable: the bytes that arrive stay for the next read.
public final class StreamReader: @unchecked Sendable {
    let connection: StreamConnection

    init(_ connection: StreamConnection) {
        self.connection = connection
        connection.handles += 1
    }

    deinit { StreamReader.release(connection) }

    static func release(_ connection: StreamConnection) {
        let loop = connection.loop
        if loop.isOnLoopThread { connection.handleReleased() } else { loop.onLoop { _ in connection.handleReleased() } }
    }

    /// The buffer limit of `readline` and `readuntil` (asyncio's `limit`, 64 KiB by default).
    public var limit: Int { connection.limit }

    /// True once the peer ended the stream and every byte was read: asyncio's `at_eof()`.
    public var atEOF: Bool { connection.atEOF && connection.buffered == 0 }

    private func onLoop(_ what: String) throws {
        guard connection.loop.isOnLoopThread else { throw LoopError.notOnLoop("StreamReader.\(what)") }
    }

    /// Up to `count` bytes, as soon as any are there; all of them until the end when `count`
    /// is negative (the default). Empty at the end of the stream: asyncio's `read(n)`.
    public func read(_ count: Int = -1) async throws -> [UInt8] {
        try onLoop("read")
        if count == 0 { return [] }
        if count < 0 {
            while !connection.atEOF { try await connection.readMore(for: .read) }
            return connection.take(connection.buffered)
        }
        if connection.buffered == 0 && !connection.atEOF { try await connection.readMore(for: .read) }
        return connection.take(count)
    }

    /// Exactly `count` bytes: asyncio's `readexactly(n)`.
    ///
    /// - Throws: ``IncompleteReadError`` with the bytes read when the stream ends first.
    public func readExactly(_ count: Int) async throws -> [UInt8] {
        try onLoop("readExactly")
        guard count >= 0 else { throw StreamError.invalidArgument("readExactly: count must be positive, got \(count)") }
        while connection.buffered < count {
            if connection.atEOF {
                throw IncompleteReadError(partial: connection.take(connection.buffered), expected: count)
            }
            try await connection.readMore(for: .readexactly)
        }
        return connection.take(count)
    }

    /// The bytes up to and including `separator`: asyncio's `readuntil(separator)`.
    ///
    /// - Throws: ``IncompleteReadError`` with what was read when the stream ends first;
    ///   ``LimitOverrunError`` when no separator comes within ``limit`` bytes (they stay
    ///   in the buffer).
    public func readUntil(_ separator: [UInt8] = [0x0A]) async throws -> [UInt8] {
        try await readUntil(separator, as: .readuntil)
    }

    private func readUntil(_ separator: [UInt8], as operation: IOOperation) async throws -> [UInt8] {
        try onLoop(operation == .readline ? "readLine" : "readUntil")
        guard !separator.isEmpty else { throw StreamError.invalidArgument("readUntil: the separator is empty") }
        var offset = 0
        while true {
            if let found = connection.find(separator, from: offset) {
                let end = found + separator.count
                if end > limit {
                    throw LimitOverrunError(message: "Separator is found, but chunk is longer than limit", consumed: end)
                }
                return connection.take(end)
            }
            if connection.buffered > limit {
                throw LimitOverrunError(message: "Separator is not found, and chunk exceed the limit",
                                        consumed: connection.buffered)
            }
            if connection.atEOF {
                throw IncompleteReadError(partial: connection.take(connection.buffered), expected: nil)
            }
            offset = max(0, connection.buffered - separator.count + 1)
            try await connection.readMore(for: operation)
        }
    }

    /// One line with its "\n"; at the end, what is left (empty when nothing is): asyncio's
    /// `readline()`.
    ///
    /// - Throws: `StreamError.lineTooLong` when no line end comes within ``limit`` bytes
    ///   (the buffered bytes are dropped, as asyncio does, up to the line end if it came).
    public func readLine() async throws -> [UInt8] {
        do {
            return try await readUntil([0x0A], as: .readline)
        } catch let error as IncompleteReadError {
            return error.partial
        } catch let error as LimitOverrunError {
            if let found = connection.find([0x0A], from: 0), found + 1 == error.consumed {
                _ = connection.take(found + 1)
            } else {
                _ = connection.take(connection.buffered)
            }
            throw StreamError.lineTooLong(limit: limit)
        }
    }
}

/// The write side of a connection: asyncio's `StreamWriter`. `write` never waits: what the
/// kernel does not take is buffered and sent by the loop; `drain()` waits while the buffer
/// is above its high water mark (64 KiB) until it is down to the low one (16 KiB).
public final class StreamWriter: @unchecked Sendable {
    let connection: StreamConnection

    deinit { StreamReader.release(connection) }

    private func onLoop(_ what: String) throws {
        guard connection.loop.isOnLoopThread else { throw LoopError.notOnLoop("StreamWriter.\(what)") }
    }

    /// The peer: "127.0.0.1:6379", a socket path, or nil (a pipe): asyncio's
    /// `get_extra_info('peername')`.
    public let peerName: String?
    /// This end's address, for sockets: `get_extra_info('sockname')`.
    public let socketName: String?

    init(_ connection: StreamConnection, peer: String?, local: String?) {
        self.connection = connection
        self.peerName = peer
        self.socketName = local
        connection.handles += 1
    }

    /// Bytes sent and received so far.
    public var bytesWritten: UInt64 { connection.bytesOut }
    public var bytesRead: UInt64 { connection.bytesIn }
    /// Bytes written but not yet taken by the kernel: `transport.get_write_buffer_size()`.
    public var bufferedBytes: Int { connection.pendingOutput }

    /// Sets the water marks of `drain` (asyncio's `set_write_buffer_limits`): `high`
    /// defaults to 64 KiB, `low` to a quarter of `high`.
    public func setWriteBufferLimits(high: Int? = nil, low: Int? = nil) throws {
        let high = high ?? (low.map { 4 * $0 } ?? 65536)
        let low = low ?? high / 4
        guard high >= low, low >= 0 else {
            throw StreamError.invalidArgument("high (\(high)) must be >= low (\(low)) must be >= 0")
        }
        connection.highWater = high
        connection.lowWater = low
    }

    /// Queues `bytes` for the peer: asyncio's `write(data)`.
    ///
    /// - Throws: `StreamError.closed` after `close()` or `writeEOF()`; the `IOError` of an
    ///   earlier failed send (the peer reset the connection).
    public func write(_ bytes: [UInt8]) throws {
        try onLoop("write")
        try bytes.withUnsafeBytes { try connection.write($0) }
    }

    /// Queues the UTF-8 bytes of `text`.
    public func write(_ text: String) throws {
        try onLoop("write")
        var text = text
        try text.withUTF8 { try connection.write(UnsafeRawBufferPointer($0)) }
    }

    /// Waits until the buffer is down to the low water mark, if it went above the high one:
    /// asyncio's `drain()`. A task waiting here shows "drain <peer>, 64 KiB buffered".
    ///
    /// - Throws: the `IOError` of a failed send (the connection was lost).
    public func drain() async throws {
        try onLoop("drain")
        try await connection.drain()
    }

    /// Ends the write side once the buffer is sent (the peer reads EOF): `write_eof()`.
    public func writeEOF() throws {
        try onLoop("writeEOF")
        try connection.writeEOF()
    }

    /// Closes the connection once the buffer is sent: asyncio's `close()`. The reader's
    /// pending read ends with the end of the stream.
    public func close() {
        let connection = connection
        if connection.loop.isOnLoopThread { connection.close() } else { connection.loop.onLoop { _ in connection.close() } }
    }

    /// Closes now, dropping the buffer: `transport.abort()`.
    public func abort() {
        let connection = connection
        if connection.loop.isOnLoopThread { connection.abort() } else { connection.loop.onLoop { _ in connection.abort() } }
    }

    /// True once `close()` was called: asyncio's `is_closing()`.
    public var isClosing: Bool { connection.closing || connection.closed }

    /// Waits until the connection is closed: asyncio's `wait_closed()`.
    public func waitClosed() async throws {
        try onLoop("waitClosed")
        try await connection.waitClosed()
    }
}

// MARK: Opening connections

extension EventLoop {
    /// Wraps a connected, non-blocking descriptor as a registered stream.
    func makeStream(fd: Int32, kind: IOKind, peer: String?, local: String?, limit: Int) throws -> (StreamReader, StreamWriter) {
        let connection = StreamConnection(fd: fd, kind: kind, name: peer, loop: self, limit: limit)
        do { try connection.register() } catch { _ = Glibc.close(fd); throw error }
        return (StreamReader(connection), StreamWriter(connection, peer: peer, local: local))
    }

    /// Connects to `host:port` and returns the connection's reader and writer: asyncio's
    /// `open_connection`. Host names are resolved on the default thread pool; each address
    /// is tried in turn.
    ///
    /// - Throws: ``ResolutionError`` for an unknown host; the `IOError` of the last address
    ///   tried (`isConnectionRefused`…).
    public func openConnection(host: String, port: Int, limit: Int = 65536) async throws -> (StreamReader, StreamWriter) {
        guard isOnLoopThread else { throw LoopError.notOnLoop("openConnection") }
        let addresses = try await resolve(host: host, port: port)
        var lastError: any Error = IOError(errno: EADDRNOTAVAIL, doing: "connect to \(host):\(port)")
        for address in addresses {
            let fd = asynctop_stream_socket(address.family)
            guard fd >= 0 else { throw IOError(errno: -fd, doing: "open a socket for \(address)") }
            do {
                try await connect(fd, to: address)
            } catch {
                _ = Glibc.close(fd)
                if error is CancellationError { throw error }
                lastError = error
                continue
            }
            return try makeStream(fd: fd, kind: .tcp, peer: address.description, local: localName(fd), limit: limit)
        }
        throw lastError
    }

    /// Connects to the Unix domain socket at `path`: asyncio's `open_unix_connection`.
    public func openUnixConnection(path: String, limit: Int = 65536) async throws -> (StreamReader, StreamWriter) {
        guard isOnLoopThread else { throw LoopError.notOnLoop("openUnixConnection") }
        let address = try SocketAddress.unix(path)
        let fd = asynctop_stream_socket(AF_UNIX)
        guard fd >= 0 else { throw IOError(errno: -fd, doing: "open a socket for \(path)") }
        do { try await connect(fd, to: address) } catch { _ = Glibc.close(fd); throw error }
        return try makeStream(fd: fd, kind: .unix, peer: path, local: nil, limit: limit)
    }
}

/// "127.0.0.1:54321": a socket's own address.
func localName(_ fd: Int32) -> String? {
    var address = asynctop_address()
    guard asynctop_local_address(fd, &address) == 0 else { return nil }
    return SocketAddress(address).description
}

/// Connects to `host:port` on the current loop: asyncio's `open_connection`.
public func openConnection(host: String, port: Int, limit: Int = 65536) async throws -> (StreamReader, StreamWriter) {
    guard let loop = EventLoop.current else { throw LoopError.notOnLoop("openConnection") }
    return try await loop.openConnection(host: host, port: port, limit: limit)
}

/// Connects to a Unix domain socket on the current loop: asyncio's `open_unix_connection`.
public func openUnixConnection(path: String, limit: Int = 65536) async throws -> (StreamReader, StreamWriter) {
    guard let loop = EventLoop.current else { throw LoopError.notOnLoop("openUnixConnection") }
    return try await loop.openUnixConnection(path: path, limit: limit)
}

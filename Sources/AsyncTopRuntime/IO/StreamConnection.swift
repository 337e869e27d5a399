import AsyncTopModel
import CAsyncTopSupport
#if canImport(Glibc)
import Glibc
#endif

/// One connected socket or pipe of the loop, as asyncio's transport and stream protocol
/// together: reads are pulled into a buffer when a reader asks (and the descriptor is
/// edge-triggered, so a read that would block waits for the next edge); writes go out at
/// once as far as the kernel takes them, and the rest is flushed by the loop when the
/// descriptor is writable, with asyncio's high and low water marks for `drain`.
/// Loop-thread state.
final class StreamConnection: IOWatch, @unchecked Sendable {
    static let readChunk = 65536
    let isSocket: Bool
    /// Where `readuntil`/`readline` give up looking for a separator (asyncio's `limit`).
    let limit: Int

    // Reading
    private var input = ByteBuffer()
    private(set) var atEOF = false
    private var readError: IOError?

    // Writing
    private var output = ByteBuffer()
    var highWater = 65536
    var lowWater = 16384
    /// Above the high water mark until flushed down to the low one: `drain` waits then.
    private(set) var paused = false
    private var writeError: IOError?
    private(set) var closing = false
    private(set) var closed = false
    private var eofPending = false
    private(set) var eofWritten = false
    private var closeWaiters: [SleepWaiter] = []
    /// Reader and writer objects alive: when both are gone, the connection closes.
    var handles = 0
    /// Called once the descriptor is closed (a server counts its connections).
    var onClosed: (() -> Void)?

    init(fd: Int32, kind: IOKind, name: String?, loop: EventLoop, limit: Int) {
        self.isSocket = kind == .tcp || kind == .unix || kind == .socket
        self.limit = limit
        super.init(fd: fd, kind: kind, name: name, loop: loop)
    }

    deinit {
        input.deallocate()
        output.deallocate()
    }

    // MARK: Reading

    var buffered: Int { input.count }

    /// The unread bytes.
    var unread: UnsafeRawBufferPointer { input.readable }

    /// Reads what the descriptor has into the buffer: true when it got bytes or the end,
    /// false when it would block.
    private func fill() throws -> Bool {
        if let readError { throw readError }
        if closed || atEOF { atEOF = true; return true }
        if !mayRead { return false }
        let room = input.reserve(Self.readChunk)
        let got = asynctop_read(fd, room.baseAddress, room.count)
        if got > 0 {
            // Short: TCP's receive queue was empty; the next arrival brings an edge. (Not
            // trusted for other kinds: a Unix socket's read stops at a message carrying
            // descriptors or credentials, a packet-mode pipe's after each packet.)
            if got < room.count && kind == .tcp && !readsToEAGAIN { mayRead = false }
            input.commit(Int(got))
            bytesIn &+= UInt64(got)
            lastActivity = loop.timeBase.now()
            return true
        }
        if got == 0 { atEOF = true; return true }
        let code = Int32(-got)
        if code == EAGAIN { if !readsToEAGAIN { mayRead = false }; return false }
        let error = IOError(errno: code, doing: "read from \(title)")
        readError = error
        throw error
    }

    /// Waits until the buffer grew or the stream ended.
    func readMore(for operation: IOOperation) async throws {
        while try !fill() {
            try await wait(.read, for: operation)
        }
    }

    /// Takes up to `count` buffered bytes.
    func take(_ count: Int) -> [UInt8] {
        defer { input.shrinkIfIdle(above: 4 * Self.readChunk) }
        return input.take(count)
    }

    /// Where `separator` starts in the unread bytes, looking from `offset`.
    func find(_ separator: [UInt8], from offset: Int) -> Int? {
        let bytes = input.readable
        let end = bytes.count - separator.count
        guard let first = separator.first, offset <= end else { return nil }
        var i = offset
        while i <= end {
            if bytes[i] == first {
                var matched = 1
                while matched < separator.count && bytes[i + matched] == separator[matched] { matched += 1 }
                if matched == separator.count { return i }
            }
            i += 1
        }
        return nil
    }

    // MARK: Writing

    var pendingOutput: Int { output.count }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if closing || closed || eofPending || eofWritten { throw StreamError.closed("the writer of \(title)") }
        if let writeError { throw writeError }
        guard bytes.count > 0 else { return }
        var sent = 0
        if pendingOutput == 0 {
            sent = try send(bytes)
            if sent == bytes.count { return }
        }
        output.append(UnsafeRawBufferPointer(rebasing: bytes[sent...]))
        if pendingOutput > highWater { paused = true }
    }

    /// Sends what the kernel takes now; returns how many bytes.
    private func send(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        let n = asynctop_write(fd, bytes.baseAddress, bytes.count, isSocket ? 1 : 0)
        if n >= 0 {
            bytesOut &+= UInt64(n)
            lastActivity = loop.timeBase.now()
            return Int(n)
        }
        if n == -Int64(EAGAIN) { return 0 }
        let error = IOError(errno: Int32(-n), doing: "write to \(title)")
        writeError = error
        throw error
    }

    /// Sends the buffered output the descriptor takes now; wakes `drain` below the low
    /// water mark, and finishes a close or an end of file once it is all out.
    private func flush() {
        if pendingOutput > 0, writeError == nil {
            output.consume((try? send(output.readable)) ?? 0)
            output.shrinkIfIdle(above: 4 * Self.readChunk)
        }
        let drained = pendingOutput == 0 || writeError != nil
        if paused && (pendingOutput <= lowWater || writeError != nil) {
            paused = false
            wakeWriters()
        }
        if drained && eofPending && !eofWritten {
            eofPending = false
            eofWritten = true
            if isSocket { _ = asynctop_shutdown_write(fd) }
        }
        if drained && closing && !closed { finishClose() }
    }

    override func handle(events: UInt32) {
        if events & (ASYNCTOP_IO_OUT | ASYNCTOP_IO_HUP | ASYNCTOP_IO_ERR) != 0 && (pendingOutput > 0 || closing) {
            flush()
        }
        super.handle(events: events)
    }

    /// Waits until the output is below the high water mark (asyncio's `drain`).
    func drain() async throws {
        if let writeError { throw writeError }
        while paused && !closed {
            try await wait(.write, for: .drain)
            if let writeError { throw writeError }
        }
        if closed && writeError == nil && pendingOutput > 0 {
            throw IOError(errno: ECONNRESET, doing: "drain to \(title)")
        }
    }

    /// Closes the write side once the buffer is out (asyncio's `write_eof`).
    func writeEOF() throws {
        if closing || closed { throw StreamError.closed("the writer of \(title)") }
        guard isSocket else { close(); return }
        guard !eofWritten && !eofPending else { return }
        eofPending = true
        flush()
    }

    // MARK: Closing

    /// Closes after the buffered output is sent (asyncio's `close`); at once on an error.
    func close() {
        guard !closing && !closed else { return }
        closing = true
        if pendingOutput == 0 || writeError != nil { finishClose() }
    }

    /// Closes now, dropping buffered output (asyncio's `abort`).
    func abort() {
        guard !closed else { return }
        closing = true
        finishClose()
    }

    private func finishClose() {
        closed = true
        unregister()
        closeDescriptor()
        wakeAll()
        for waiter in closeWaiters { waiter.fire() }
        closeWaiters = []
        paused = false
        if let onClosed { self.onClosed = nil; onClosed() }
    }

    override func loopClosed() {
        closed = true
        super.loopClosed()
        for waiter in closeWaiters { waiter.fire() }
        closeWaiters = []
    }

    /// Waits until the descriptor is closed.
    func waitClosed() async throws {
        while !closed {
            let waiter = SleepWaiter()
            closeWaiters.append(waiter)
            try await waiter.park()
        }
    }

    /// A handle (reader or writer) went away; the last one closes the connection.
    func handleReleased() {
        handles -= 1
        if handles == 0 && !closed { abort() }
    }

    override var waitDetail: String? {
        pendingOutput > 0 ? "\(formatBytes(UInt64(pendingOutput))) buffered" : nil
    }

    override var stateDetail: String? {
        if closed { return "closed" }
        if closing { return "closing" }
        var parts: [String] = []
        if atEOF && buffered == 0 { parts.append("at EOF") }
        if pendingOutput > 0 { parts.append("\(formatBytes(UInt64(pendingOutput))) to send") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }
}

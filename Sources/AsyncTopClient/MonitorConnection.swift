import AsyncTopModel
import CAsyncTopSupport
#if canImport(Glibc)
import Glibc
#endif

/// A client's connection to a monitor socket: reads server messages, sends commands.
///
/// Blocking, for one thread at a time (sending from another thread is fine).
public final class MonitorConnection: @unchecked Sendable {
    /// Why connecting or reading failed.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private let fd: Int32
    private var lines = LineBuffer(limit: WireProtocol.maxServerLineBytes)
    private var buffer = [UInt8](repeating: 0, count: 256 * 1024)
    private var closed = false
    /// The tasks this client holds, per loop, which the server's binary deltas are relative to.
    private var deltas: [Int: DeltaDecoder] = [0: DeltaDecoder()]
    /// The protocol of the server's hello, once it came.
    private var serverProtocol: Int?
    /// The client's hello is sent and its answer has not come yet.
    private var awaitingHelloAnswer = false
    /// A binary delta announced by its header line, waiting for its bytes.
    private var pendingFrame: Frame?

    /// Connects to the socket at `path` and says this client's hello (protocol
    /// ``WireProtocol/version``), unless `introduce` is false (a test of what an older
    /// client gets).
    /// - Parameter loops: read every loop of the process: `loop` messages announce them and
    ///   each delta says which it is of (``ServerMessage/Update/loop``). Without it, the
    ///   hello's loop only.
    /// - Throws: ``Failure`` with the system's reason.
    public init(path: String, introduce: Bool = true, loops: Bool = false) throws {
        let fd = asynctop_unix_connect(path)
        guard fd >= 0 else { throw Failure(description: "\(path): \(Self.problem(connecting: path, errno: -fd))") }
        self.fd = fd
        if introduce {
            send(.hello(id: nil, protocol: WireProtocol.version, loops: loops))
            awaitingHelloAnswer = true
        }
    }

    /// A binary delta's header line.
    struct Frame: Equatable {
        var dropped: UInt64
        var bytes: Int
        var loop: Int
    }

    /// Why connecting to `path` failed with `code`, in a few words: the file's kind is
    /// looked at, since `connect` says "connection refused" for a regular file or a directory.
    public static func problem(connecting path: String, errno code: Int32) -> String {
        var info = stat()
        if stat(path, &info) != 0 {
            switch errno {
            case ENOENT: return "no such file"
            case EACCES: return "permission denied"
            case ENOTDIR: return "no such file (a part of the path is not a directory)"
            default: return String(cString: strerror(errno))
            }
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return "a directory, not a socket"
        case S_IFREG: return "a regular file, not a socket"
        case S_IFSOCK: break
        default: return "not a socket"
        }
        switch code {
        case ECONNREFUSED: return "nobody listens on this socket (its program has exited?)"
        case EACCES, EPERM: return "permission denied"
        case ENAMETOOLONG: return "the path is too long for a socket"
        default: return String(cString: strerror(code))
        }
    }

    deinit { if !closed { Glibc.close(fd) } }

    /// The header line of a binary delta (`{"type":"delta","dropped":N,"bytes":L}`, with
    /// `"loop":K` for a loop other than the hello's), or nil for any other line.
    static func frameHeader(_ line: [UInt8]) -> Frame? {
        struct Header: Decodable {
            var type: String
            var dropped: UInt64?
            var bytes: Int?
            var loop: Int?
        }
        guard line.count <= WireProtocol.maxFrameHeaderBytes,
              case .success(let header) = WireCodec.decode(Header.self, from: line),
              header.type == "delta", let bytes = header.bytes, bytes >= 0 else { return nil }
        return Frame(dropped: header.dropped ?? 0, bytes: bytes, loop: header.loop ?? 0)
    }

    /// Closes the connection.
    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    /// Sends a command.
    /// - Returns: false when the server is gone.
    @discardableResult
    public func send(_ message: ClientMessage) -> Bool { sendRaw(WireCodec.line(message)) }

    /// Sends bytes as they are (for tests of bad input).
    @discardableResult
    public func sendRaw(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// The next message, waiting up to `timeout` seconds. Binary deltas come back decoded,
    /// with every changed task whole, like the JSON ones of a protocol 1 server; the
    /// answer to the client's own hello is not returned.
    /// - Returns: nil on time-out.
    /// - Throws: ``Failure`` when the server closed the connection or sent a bad line.
    public func next(timeout: Double) throws -> ServerMessage? {
        let deadline = asynctop_monotonic_ns() + UInt64(max(timeout, 0) * 1e9)
        while true {
            if let frame = pendingFrame {
                if let payload = lines.take(frame.bytes) {
                    pendingFrame = nil
                    guard deltas[frame.loop] != nil else {
                        throw Failure(description: "bad delta from the server: loop \(frame.loop) was never announced")
                    }
                    do {
                        let delta = try deltas[frame.loop]!.decode(payload)
                        return .delta(.init(dropped: frame.dropped, delta: delta, loop: frame.loop))
                    } catch {
                        throw Failure(description: "bad delta from the server: \(error.message)")
                    }
                }
            } else if let line = lines.next() {
                switch line {
                case .tooLong(let count): throw Failure(description: "a line of \(count) bytes from the server is too long")
                case .line(let bytes):
                    if let header = Self.frameHeader(bytes) {
                        guard header.bytes <= WireProtocol.maxServerLineBytes else {
                            throw Failure(description: "a delta of \(header.bytes) bytes from the server is too large")
                        }
                        pendingFrame = header
                        continue
                    }
                    switch WireCodec.decodeServer(bytes) {
                    case .success(let message):
                        switch message {
                        case .hello(let hello): serverProtocol = hello.protocol
                        // The server answers lines in order, and the hello was the first: the
                        // first answer after the server's hello is the one to it.
                        case .reply, .error, .stacks:
                            guard awaitingHelloAnswer, serverProtocol != nil else { break }
                            awaitingHelloAnswer = false
                            // A protocol 1 server does not know the hello: it reads on.
                            if case .error(_, let code, let text) = message, serverProtocol != 1 {
                                throw Failure(description: "the server refused this client: \(code): \(text)")
                            }
                            continue
                        case .loop(let entry):
                            if entry.closed {
                                if entry.id != 0 { deltas[entry.id] = nil }
                            } else if deltas[entry.id] == nil {
                                deltas[entry.id] = DeltaDecoder()
                            }
                        case .delta(let update):
                            guard update.loop == 0 || deltas[update.loop] != nil else {
                                throw Failure(description: "bad delta from the server: loop \(update.loop) was never announced")
                            }
                        }
                        return message
                    case .failure(let error): throw Failure(description: "bad line from the server: \(error)")
                    }
                }
            }
            let now = asynctop_monotonic_ns()
            guard now < deadline else { return nil }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min((deadline - now) / 1_000_000 + 1, 1000)))
            if ready < 0 && errno != EINTR { throw Failure(description: "poll failed") }
            guard ready > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw Failure(description: "the server closed the connection") }
            lines.append(buffer[0..<n])
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A system call of the loop's I/O failed: asyncio's `OSError` and its subclasses
/// (`ConnectionRefusedError`, `ConnectionResetError`, `BrokenPipeError`…), with what was
/// being done.
public struct IOError: Error, Equatable, CustomStringConvertible {
    /// The errno value.
    public let code: Int32
    /// What failed: "connect to 127.0.0.1:9", "read from 127.0.0.1:6379 (fd 9)".
    public let operation: String

    public init(errno code: Int32, doing operation: String) {
        self.code = code
        self.operation = operation
    }

    /// asyncio's `ConnectionRefusedError`.
    public var isConnectionRefused: Bool { code == ECONNREFUSED }
    /// asyncio's `ConnectionResetError` (and `BrokenPipeError`, `ConnectionAbortedError`).
    public var isConnectionLost: Bool { code == ECONNRESET || code == EPIPE || code == ECONNABORTED }
    /// Too many open files, in the process (`EMFILE`) or the system (`ENFILE`).
    public var isTooManyOpenFiles: Bool { code == EMFILE || code == ENFILE }

    /// "ECONNREFUSED".
    public var symbol: String {
        switch code {
        case ECONNREFUSED: "ECONNREFUSED"
        case ECONNRESET: "ECONNRESET"
        case EPIPE: "EPIPE"
        case ECONNABORTED: "ECONNABORTED"
        case ETIMEDOUT: "ETIMEDOUT"
        case EMFILE: "EMFILE"
        case ENFILE: "ENFILE"
        case EADDRINUSE: "EADDRINUSE"
        case EADDRNOTAVAIL: "EADDRNOTAVAIL"
        case EACCES: "EACCES"
        case ENOENT: "ENOENT"
        case EBADF: "EBADF"
        case EEXIST: "EEXIST"
        case ENETUNREACH: "ENETUNREACH"
        case EHOSTUNREACH: "EHOSTUNREACH"
        case ENAMETOOLONG: "ENAMETOOLONG"
        default: "errno \(code)"
        }
    }

    public var description: String {
        "\(operation): \(String(cString: strerror(code))) (\(symbol))"
    }

    /// A descriptor already watched by something else (asyncio refuses the same).
    static func inUse(fd: Int32, by owner: String) -> IOError {
        IOError(errno: EEXIST, doing: "watch fd \(fd), already used by \(owner)")
    }
}

/// A host name that did not resolve: asyncio's `socket.gaierror`.
public struct ResolutionError: Error, Equatable, CustomStringConvertible {
    public let host: String
    public let reason: String
    public var description: String { "cannot resolve \(host): \(reason)" }
}

/// The stream ended before the bytes asked for: asyncio's `IncompleteReadError`. `partial`
/// holds what was read.
public struct IncompleteReadError: Error, Equatable, CustomStringConvertible {
    public let partial: [UInt8]
    /// How many bytes were asked for; nil for `readuntil`.
    public let expected: Int?
    public var description: String {
        "\(partial.count) bytes read on a total of \(expected.map(String.init) ?? "undefined") expected bytes"
    }
}

/// `readuntil` found no separator within the stream's limit: asyncio's `LimitOverrunError`.
/// The bytes stay in the buffer; `consumed` is how many may be taken.
public struct LimitOverrunError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public let consumed: Int
    public var description: String { message }
}

/// Misuse of a stream, as asyncio raises `RuntimeError` or `ValueError`.
public enum StreamError: Error, Equatable, CustomStringConvertible {
    /// A write (or drain, or write of EOF) on a writer that was closed.
    case closed(String)
    /// Two tasks reading the same stream at once.
    case concurrentRead(String)
    /// `readline` found no line end within the limit (asyncio raises `ValueError`).
    case lineTooLong(limit: Int)
    /// An argument out of range (a negative count, an empty separator).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .closed(let what): "\(what) is closed"
        case .concurrentRead(let what): "another task is already reading \(what)"
        case .lineTooLong(let limit): "no line end within the stream's limit of \(limit) bytes"
        case .invalidArgument(let text): text
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Why a monitor server could not start.
public enum MonitorError: Error, Equatable, CustomStringConvertible {
    /// The socket's directory does not exist.
    case directoryMissing(path: String)
    /// The private directory exists but is not a directory of this user closed to others.
    case unsafeDirectory(path: String)
    /// Another live process serves on this socket.
    case inUse(path: String)
    /// Something that is not a socket is in the way.
    case notASocket(path: String)
    /// A system call failed.
    case cannotCreate(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .directoryMissing(let path): "monitor: the directory of \(path) does not exist"
        case .unsafeDirectory(let path): "monitor: \(path) is not a private directory of this user (mode 0700)"
        case .inUse(let path): "monitor: another process serves on \(path)"
        case .notASocket(let path): "monitor: \(path) exists and is not a socket"
        case .cannotCreate(let path, let code): "monitor: cannot create \(path): \(String(cString: strerror(code)))"
        }
    }
}

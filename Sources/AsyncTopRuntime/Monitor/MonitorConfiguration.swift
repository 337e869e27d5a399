import AsyncTopModel
import Foundation

/// How a program serves its loop to `asynctop attach`, `ps` and `pstree`.
///
/// ```swift
/// try await EventLoop.run(monitor: .socket("/run/user/1000/myapp.sock")) { … }
/// ```
public struct MonitorConfiguration: Sendable {
    /// The socket's path; nil for a default path in the private directory
    /// (``MonitorConfiguration/privateDirectory()``).
    public var path: String?
    /// Seconds between two deltas sent to each client.
    public var interval: Double
    /// Demos a client may launch, by name, and how to start one; empty forbids launching.
    public var demos: [String]
    public var launch: (@Sendable (String, EventLoop) -> Void)?
    /// When true (an explicit request), a failure to start the monitor is an error; when
    /// false (the environment variable), a warning on standard error.
    public var required: Bool
    /// A file to record the stream to, as `asynctop --record` does.
    public var recordPath: String?
    /// Clients served at once; more are answered with a `busy` error and closed.
    public var maxClients = 32
    /// When the monitor is started by `EventLoop.run` (or the environment), it serves every
    /// loop of the process on its socket: the ones running, and the ones started later
    /// (``MonitorServer/serve(_:)``); the first such monitor of a process does. False: its
    /// own loop only, as ``EventLoop/startMonitor(_:)`` does.
    public var everyLoop = true
    /// Made by ``fromEnvironment(_:)``: one such monitor per process (the first loop's).
    var isFromEnvironment = false

    public init(path: String? = nil, interval: Double = 0.1, demos: [String] = [],
                launch: (@Sendable (String, EventLoop) -> Void)? = nil, required: Bool = true, recordPath: String? = nil) {
        self.path = path
        self.interval = interval
        self.demos = demos
        self.launch = launch
        self.required = required
        self.recordPath = recordPath
    }

    /// A monitor on the socket at `path` (nil: the default path in the private directory).
    public static func socket(_ path: String? = nil) -> MonitorConfiguration { MonitorConfiguration(path: path) }

    /// The configuration `ASYNCTOP_SOCKET` asks for, if set: its value is the path, or
    /// empty or `1` for the default path. `ASYNCTOP_RECORD` names a file to record to.
    ///
    /// Every loop honours these variables, not only `EventLoop.run`: the first loop of the
    /// process that starts serves the socket (and records); later loops run without.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> MonitorConfiguration? {
        guard let value = environment[WireProtocol.socketEnvironmentVariable] else { return nil }
        var configuration = MonitorConfiguration(path: value.isEmpty || value == "1" ? nil : value, required: false,
                                                 recordPath: environment[WireProtocol.recordEnvironmentVariable].flatMap { $0.isEmpty ? nil : $0 })
        configuration.isFromEnvironment = true
        return configuration
    }

    /// `$XDG_RUNTIME_DIR/asynctop`, or `/tmp/asynctop-<uid>`, created with mode 0700 when
    /// missing and refused when it is not a directory of ours closed to others.
    /// - Throws: ``MonitorError``.
    public static func privateDirectory(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        let base: String
        if let xdg = environment["XDG_RUNTIME_DIR"], !xdg.isEmpty, access(xdg, W_OK) == 0 {
            base = xdg + "/asynctop"
        } else {
            base = "/tmp/asynctop-\(getuid())"
        }
        if mkdir(base, 0o700) != 0 && errno != EEXIST {
            throw MonitorError.cannotCreate(path: base, errno: errno)
        }
        var info = stat()
        guard lstat(base, &info) == 0 else { throw MonitorError.cannotCreate(path: base, errno: errno) }
        guard info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid(), info.st_mode & 0o077 == 0 else {
            throw MonitorError.unsafeDirectory(path: base)
        }
        return base
    }
}

import AsyncTopClient
import AsyncTopModel
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The monitor sockets an exporter watches: each TARGET is a socket, or a directory whose
/// sockets come and go (rescanned on ``refresh()``). Each socket has a ``RemoteLoop`` of its
/// own, which keeps the last snapshot and reconnects; a scrape reads what they hold and never
/// waits on a target.
public final class TargetSet: Sendable {
    /// The TARGET arguments as given.
    public let arguments: [String]
    private let note: @Sendable (String) -> Void
    private let state = Mutex(State())

    struct Watched: Sendable {
        var remote: RemoteLoop
        var lastUpdate: LastUpdate
        /// The last status reported on stderr, so each change is said once.
        var reported: String?
    }

    /// When the last message came from a target (set on the connection's thread).
    final class LastUpdate: Sendable {
        let instant = Mutex<ContinuousClock.Instant?>(nil)
    }

    struct State {
        var watched: [String: Watched] = [:]
        var noted: Set<String> = []
        var stopped = false
    }

    /// - Parameter note: says on stderr what happens to a target (missing, connected, lost).
    public init(arguments: [String], note: @escaping @Sendable (String) -> Void = { _ in }) {
        self.arguments = arguments
        self.note = note
    }

    deinit { stop() }

    /// The socket paths the arguments name now: a directory's sockets (not its other files,
    /// nor its subdirectories), and any other argument as it is, existing or not.
    public func scan() -> [String] {
        var out: [String] = []
        for argument in arguments {
            var info = stat()
            if stat(argument, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []
                for name in names.sorted() {
                    let path = argument.hasSuffix("/") ? argument + name : argument + "/" + name
                    var entry = stat()
                    if lstat(path, &entry) == 0 && entry.st_mode & S_IFMT == S_IFSOCK { out.append(path) }
                }
            } else {
                out.append(argument)
            }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }

    /// Starts watching new sockets and forgets those gone from their directory (their series
    /// go away with them). An argument that names no socket yet stays watched, down.
    public func refresh() {
        let paths = scan()
        var notes: [String] = []
        let removed: [RemoteLoop] = state.withLock { state in
            guard !state.stopped else { return [] }
            let wanted = Set(paths)
            var gone: [RemoteLoop] = []
            for (path, watched) in state.watched where !wanted.contains(path) {
                gone.append(watched.remote)
                state.watched[path] = nil
                notes.append("\(path): gone from its directory; no longer watched")
            }
            for path in paths where state.watched[path] == nil {
                let last = LastUpdate()
                let remote = RemoteLoop(path: path, onMessage: { _ in last.instant.withLock { $0 = .now } })
                state.watched[path] = Watched(remote: remote, lastUpdate: last)
                if arguments.contains(path), !FileManager.default.fileExists(atPath: path), state.noted.insert(path).inserted {
                    notes.append("\(path): no such socket or directory yet; served as asynctop_target_up 0 until it appears")
                }
            }
            return gone
        }
        for remote in removed { remote.stop() }
        for text in notes { note(text) }
    }

    /// What each watched target holds now.
    public func readings() -> [TargetReading] {
        let now = ContinuousClock.now
        let watched = state.withLock { $0.watched }
        var out: [TargetReading] = []
        var notes: [(String, String)] = []
        for (path, target) in watched {
            let remote = target.remote
            let status = remote.status
            let hello = remote.hello
            let last = target.lastUpdate.instant.withLock { $0 }
            let age = last.map { instant -> Double in
                let elapsed = now - instant
                return max(0, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
            var up = false
            var report: String
            switch status {
            case .connected(let pid, let program) where hello != nil:
                up = true
                report = "connected to \(program) (pid \(pid))"
            case .connected, .connecting: report = "connecting"
            case .retrying(let reason): report = "down: \(Self.trimmed(reason, path))"
            case .disconnected(let reason): report = "lost: \(Self.trimmed(reason, path))"
            }
            let name = hello.map { "\($0.program)[\($0.pid)]" } ?? (path.split(separator: "/").last.map(String.init) ?? path)
            out.append(TargetReading(target: path, up: up, dataAge: age, process: name, loops: up ? remote.loopSnapshots : []))
            if report != "connecting" && report != target.reported { notes.append((path, report)) }
        }
        if !notes.isEmpty {
            state.withLock { state in
                for (path, report) in notes { state.watched[path]?.reported = report }
            }
            for (path, report) in notes.sorted(by: { $0.0 < $1.0 }) { note("\(path): \(report)") }
        }
        return out.sorted { $0.target < $1.target }
    }

    /// "no such file" rather than "/x.sock: no such file", after the path.
    static func trimmed(_ reason: String, _ path: String) -> String {
        reason.hasPrefix(path + ": ") ? String(reason.dropFirst(path.count + 2)) : reason
    }

    /// Stops every connection.
    public func stop() {
        let remotes = state.withLock { state in
            state.stopped = true
            defer { state.watched = [:] }
            return state.watched.values.map(\.remote)
        }
        for remote in remotes { remote.stop() }
    }
}

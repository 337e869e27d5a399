import AsyncTopModel
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads one snapshot from a TARGET: a monitor socket (the first full delta) or a
/// recording (its last frame).
public enum TargetLoader {
    /// What was read, and a note when a recording stopped early.
    public struct Loaded: Sendable {
        /// Each loop the process serves on the socket (or the recording holds), in the
        /// order they joined.
        public var loops: [Snapshot]
        public var note: String?

        /// Every loop as one picture.
        public var snapshot: Snapshot { Snapshot.merging(loops) }

        public init(loops: [Snapshot], note: String? = nil) {
            self.loops = loops
            self.note = note
        }

        /// Only the loop named `name`.
        /// - Throws: ``MonitorConnection/Failure`` naming the loops there are, when none is so named.
        public func only(loop name: String, of target: String) throws -> Loaded {
            let kept = loops.filter { $0.loopName == name }
            guard !kept.isEmpty else {
                throw MonitorConnection.Failure(
                    description: "\(target): no loop named '\(name)'; its loops: \(loops.map(\.loopName).joined(separator: ", "))")
            }
            return Loaded(loops: kept, note: note)
        }
    }

    /// - Throws: ``MonitorConnection/Failure`` for a socket that does not answer, or a file
    ///   that cannot be read.
    ///
    /// With `stacks`, a socket is also asked for the async stacks of every suspended task
    /// (a recording has the ones it sampled).
    public static func load(_ target: String, stacks: Bool = false, timeout: Double = 5) throws -> Loaded {
        var info = stat()
        guard stat(target, &info) == 0 else {
            let reason = errno == ENOENT ? "no such socket or file" : MonitorConnection.problem(connecting: target, errno: errno)
            throw MonitorConnection.Failure(description: "\(target): \(reason)")
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            throw MonitorConnection.Failure(description: "\(target): a directory, not a monitor socket or a recording")
        }
        if info.st_mode & S_IFMT == S_IFSOCK {
            let connection = try MonitorConnection(path: target, loops: true)
            defer { connection.close() }
            var loops = LoopSet()
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                switch try connection.next(timeout: deadline.timeIntervalSinceNow) {
                case .hello(let hello)?:
                    guard WireProtocol.readableVersions.contains(hello.protocol) else {
                        throw MonitorConnection.Failure(description: WireProtocol.versionProblem(target, hello.protocol))
                    }
                    loops = LoopSet(hello: hello)
                case .loop(let entry)?:
                    loops.apply(entry)
                case .delta(let update)?:
                    loops.apply(update)
                    // Every loop was announced before the first delta: done once each has one.
                    guard loops.awaiting.isEmpty else { continue }
                    guard stacks else { return Loaded(loops: loops.snapshots) }
                    return try withStacks(loops, from: connection, target: target, until: Date().addingTimeInterval(70))
                case .error(_, let code, let message)?:
                    throw MonitorConnection.Failure(description: "\(target): the server refused: \(code): \(message)")
                default: continue
                }
            }
            throw MonitorConnection.Failure(description: "\(target): no snapshot within \(timeout)s")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw MonitorConnection.Failure(description: "\(target): not a monitor socket or a recording")
        }
        guard let data = FileManager.default.contents(atPath: target) else {
            throw MonitorConnection.Failure(description: "\(target): cannot read" + (access(target, R_OK) != 0 ? " (permission denied)" : ""))
        }
        let recording = Recording(bytes: [UInt8](data))
        if let version = recording.unsupportedVersion {
            throw MonitorConnection.Failure(description: "\(target): \(Recording.versionProblem(version))")
        }
        guard recording.frameCount > 0 else {
            throw MonitorConnection.Failure(description: "\(target): no snapshot in the recording" + (recording.problem.map { " (line \(recording.stoppedAtLine ?? 0): \($0))" } ?? ""))
        }
        return Loaded(loops: recording.loops(at: recording.frameCount - 1).snapshots, note: recording.stoppedAtLine.map { "recording stopped at line \($0): \(recording.problem ?? "")" })
    }

    /// Asks for the stacks of every suspended task and files each on its task in `loops`
    /// (those that have not run since the snapshot was taken).
    static func withStacks(_ loops: LoopSet, from connection: MonitorConnection, target: String,
                           until deadline: Date) throws -> Loaded {
        let requestID = 1
        guard connection.send(.stacks(id: requestID, tasks: nil)) else {
            throw MonitorConnection.Failure(description: "\(target): the connection ended before the stacks were asked for")
        }
        var loops = loops
        while Date() < deadline {
            switch try connection.next(timeout: deadline.timeIntervalSinceNow) {
            case .loop(let entry)?:
                loops.apply(entry)
            case .delta(let update)?:
                loops.apply(update)
            case .stacks(requestID, let replies)?:
                let byTask = Dictionary(replies.compactMap { reply in reply.stack.map { (reply.task, $0) } },
                                        uniquingKeysWith: { first, _ in first })
                return Loaded(loops: loops.snapshots.map { snapshot in
                    var snapshot = snapshot
                    snapshot.tasks = snapshot.tasks.map { task in
                        guard task.stack == nil, let stack = byTask[task.id], stack.capturedAt >= task.stateSince,
                              task.state.kind == .suspended || task.state.kind == .pending else { return task }
                        return task.with(stack: stack)
                    }
                    return snapshot
                })
            case .error(requestID, let code, let message)?:
                throw MonitorConnection.Failure(description: "\(target): no stacks: \(code): \(message)")
            default: continue
            }
        }
        throw MonitorConnection.Failure(description: "\(target): no stacks within the time-out")
    }
}

import AsyncTopModel
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a monitor stream to a file, one timestamped line at a time, so the file is
/// complete up to the last whole line however the process ends.
public final class Recorder: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()
    private let start = ContinuousClock.now
    private var current = Snapshot()
    private var closed = false

    /// Creates (or truncates) the file, readable and writable by this user only (mode 0600,
    /// like the monitor socket: a recording shows the program's tasks and their messages).
    /// - Throws: ``MonitorError/cannotCreate(path:errno:)``.
    public init(path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw MonitorError.cannotCreate(path: path, errno: errno) }
        // An existing file keeps its mode through O_TRUNC: narrow it too.
        _ = fchmod(fd, 0o600)
    }

    deinit { close() }

    /// Records a message with the time since the recorder was made.
    public func record(_ message: ServerMessage) {
        let elapsed = ContinuousClock.now - start
        let t = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let line = WireCodec.line(RecordingEntry(t: t, message: message))
        lock.withLock {
            guard !closed else { return }
            // One write per line: a signal never leaves half a line behind a whole one.
            var offset = 0
            line.withUnsafeBytes { raw in
                while offset < raw.count {
                    let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 { if errno == EINTR { continue } else { return } }
                    offset += n
                }
            }
        }
    }

    /// Records the hello, then the delta between the last snapshot recorded and `snapshot`.
    /// A snapshot older than the last one recorded (a loop too busy to answer gives its
    /// last, possibly empty, picture) is skipped: a recording never goes back in time.
    public func record(snapshot: Snapshot, hello: ServerMessage.Hello) {
        let (stale, previous): (Bool, Snapshot?) = lock.withLock {
            if snapshot.version < current.version { return (true, nil) }
            defer { current = snapshot }
            return (false, current.version == 0 && current.tasks.isEmpty ? nil : current)
        }
        if stale { return }
        if previous == nil { record(.hello(hello)) }
        record(.delta(.init(dropped: 0, delta: SnapshotDelta.between(previous, snapshot))))
    }

    /// Closes the file.
    public func close() {
        lock.withLock {
            guard !closed else { return }
            closed = true
            _ = Glibc.close(fd)
        }
    }
}

import AsyncTopModel
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One connected client of a ``MonitorServer``: its socket, its unsent bytes, and what it
/// asked for. The reader thread owns the descriptor's close; everyone else writes under
/// the lock and never blocks (a full socket leaves bytes in the outbox).
final class MonitorPeer: Sendable {
    /// Unsent bytes past which a client that does not read is disconnected.
    static let outboxLimit = 256 * 1024 * 1024

    struct State {
        var fd: Int32
        var outbox: [UInt8] = []
        var sent = 0
        var paused = false
        /// What the client holds of each loop once the queued bytes arrive; none: the next
        /// update of that loop is full (the first one, and after resume).
        var bases: [Int: Snapshot] = [:]
        /// The client reads every loop (its hello said so); else only loop 0.
        var everyLoop = false
        var dropped: UInt64 = 0
        var closed = false
        /// The client said its hello (with this protocol version): updates may go.
        var introduced = false

        var unsent: Int { outbox.count - sent }
    }

    let pid: Int32
    let fd: Int32
    let state: Mutex<State>

    init(fd: Int32, pid: Int32) {
        self.fd = fd
        self.pid = pid
        self.state = Mutex(State(fd: fd))
    }

    var hasUnsent: Bool { state.withLock { !$0.closed && $0.unsent > 0 } }

    /// Queues a line and sends what the socket takes now.
    func enqueue(_ line: [UInt8]) {
        state.withLock { state in
            guard !state.closed else { return }
            state.outbox += line
            Self.flush(&state)
        }
    }

    /// Sends what the socket takes now.
    func flush() { state.withLock { Self.flush(&$0) } }

    /// What this tick's update of one loop is for a peer, decided by ``plan(for:)``.
    enum Plan {
        /// The tick's own delta, the same bytes as for every other client up to date.
        case shared
        /// A delta of its own from what it holds (`base`; nil: a full one).
        case own(base: Snapshot?)
    }

    /// What to send a peer this tick: the loops' plans, and the updates it missed so far.
    struct Ticket {
        var dropped: UInt64
        /// Per loop the client reads, in the order of the tick's deltas.
        var plans: [(loop: Int, plan: Plan)]
    }

    /// What to send this tick, of each loop (`deltas`: the tick's, one per loop): the shared
    /// delta when the client holds what it leads from, one of its own from what it holds
    /// otherwise; nothing (nil) while the previous update has not left, which is counted as
    /// dropped: the next update sent covers all the dropped ones (a delta from what the
    /// client has), so a client that reads slowly gets fewer, larger updates and never a
    /// backlog. Nothing either when closed, paused or not introduced yet. Only the
    /// publisher's thread calls this and ``deliver(_:holding:)``, and encodes between them,
    /// outside the lock.
    func plan(for deltas: [(loop: Int, delta: SnapshotDelta)]) -> Ticket? {
        state.withLock { state in
            guard !state.closed, !state.paused, state.introduced else { return nil }
            if state.unsent > 0 {
                state.dropped += 1
                return nil
            }
            let plans = deltas.filter { state.everyLoop || $0.loop == 0 }.map { loop, delta -> (loop: Int, plan: Plan) in
                if let base = state.bases[loop], base.version == delta.fromVersion, !delta.isFull { return (loop, .shared) }
                return (loop, .own(base: state.bases[loop]))
            }
            return Ticket(dropped: state.dropped, plans: plans)
        }
    }

    /// Queues an update's bytes; the client holds `current` of each loop once they arrive.
    func deliver(_ bytes: [UInt8], holding current: [(loop: Int, snapshot: Snapshot)]) {
        state.withLock { state in
            guard !state.closed else { return }
            state.outbox += bytes
            for (loop, snapshot) in current { state.bases[loop] = snapshot }
            Self.flush(&state)
        }
    }

    /// Forgets a loop that left the socket.
    func forget(loop: Int) {
        state.withLock { _ = $0.bases.removeValue(forKey: loop) }
    }

    /// Stops the connection: the reader wakes with end-of-file and closes the descriptor.
    func shutDown() {
        state.withLock { state in
            guard !state.closed else { return }
            _ = Glibc.shutdown(state.fd, Int32(SHUT_RDWR))
        }
    }

    /// Closes the descriptor; called once by the reader thread.
    func close() {
        state.withLock { state in
            guard !state.closed else { return }
            state.closed = true
            state.outbox = []
            state.sent = 0
            _ = Glibc.close(state.fd)
        }
    }

    private static func flush(_ state: inout State) {
        while state.unsent > 0 {
            let n = state.outbox.withUnsafeBytes { raw in
                send(state.fd, raw.baseAddress! + state.sent, state.unsent, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
            }
            if n > 0 {
                state.sent += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { break }
            // The peer is gone: stop writing; the reader sees it too.
            state.outbox = []
            state.sent = 0
            _ = Glibc.shutdown(state.fd, Int32(SHUT_RDWR))
            return
        }
        if state.unsent == 0 {
            state.outbox.removeAll(keepingCapacity: state.outbox.count < 1 << 20)
            state.sent = 0
        } else if state.unsent > outboxLimit {
            state.outbox = []
            state.sent = 0
            _ = Glibc.shutdown(state.fd, Int32(SHUT_RDWR))
        } else if state.sent > 1 << 20 {
            state.outbox.removeFirst(state.sent)
            state.sent = 0
        }
    }
}

import AsyncTopModel
import CAsyncTopSupport
#if canImport(Glibc)
import Glibc
#endif

/// What a descriptor is, as the dashboard names it.
enum IOKind: String {
    case tcp = "TCP"
    case unix = "Unix socket"
    case socket = "Socket"
    case server = "Server"
    case pipe = "Pipe"
    case process = "Process"
}

/// What a task waiting on a descriptor is doing, as its wait is shown ("read 127.0.0.1:6379 (fd 9)").
enum IOOperation: String {
    case read, readline, readexactly, readuntil, accept, connect, send, drain, wait
}

/// A descriptor tasks wait on, registered once with the loop's reactor (edge-triggered):
/// who waits on each side and for what, and the counts the dashboard shows. Loop-thread
/// state, except the waiters' own resumption (cancellation resumes them from any thread).
class IOWatch: @unchecked Sendable {
    let fd: Int32
    let id = ResourceID.next()
    let kind: IOKind
    /// "127.0.0.1:6379 (fd 9)".
    let title: String
    /// Strongly: a registered watch and its loop hold each other until it is unregistered
    /// (closed), or the loop is closed.
    let loop: EventLoop
    /// Whether closing the watch closes the descriptor (a stream's own socket), or the
    /// descriptor is the caller's (`sockRecv` and friends).
    let ownsDescriptor: Bool

    /// The task waiting on each side (one reader; writers may be several: `drain`).
    private(set) var readWaiter: SleepWaiter?
    private(set) var readTask: TaskID = 0
    private(set) var readOperation: IOOperation = .read
    private(set) var writeWaiters: [(waiter: SleepWaiter, task: TaskID)] = []
    private(set) var writeOperation: IOOperation = .send
    var bytesIn: UInt64 = 0
    var bytesOut: UInt64 = 0
    /// Loop time of the last byte either way (or of the registration).
    var lastActivity: Nanos
    private(set) var isRegistered = false

    init(fd: Int32, kind: IOKind, name: String?, loop: EventLoop, ownsDescriptor: Bool = true) {
        self.fd = fd
        self.ownsDescriptor = ownsDescriptor
        self.kind = kind
        self.title = name.map { "\($0) (fd \(fd))" } ?? "fd \(fd)"
        self.loop = loop
        self.lastActivity = loop.timeBase.now()
    }

    func register() throws {
        try loop.reactor.register(self)
        isRegistered = true
    }

    func unregister() {
        guard isRegistered else { return }
        loop.reactor.unregister(self)
        isRegistered = false
    }

    /// The loop is closing: the watch is dropped, its descriptor closed if it is its own.
    func loopClosed() {
        isRegistered = false
        if ownsDescriptor { closeDescriptor() }
        wakeAll()
    }

    /// Closes the descriptor (subclasses mark themselves closed first).
    func closeDescriptor() {
        _ = close(fd)
    }

    /// "TCP 127.0.0.1:6379 (fd 9)" for messages.
    var label: String { "\(kind.rawValue) \(title)" }

    /// Whether a read may find something: false once a read said EAGAIN (or, for TCP, came
    /// back short) and no edge came since (the descriptor is edge-triggered, so every arrival
    /// after that read brings one), which saves the read that would only say EAGAIN.
    var mayRead = true
    /// Set for good once a hang-up, an error or urgent data was seen: a short read then says
    /// nothing of what is still to be read (the end, the bytes past the urgent mark), and no
    /// further edge comes for it, so reads go on until EAGAIN.
    private(set) var readsToEAGAIN = false

    /// EPOLLPRI: TCP urgent data is pending (the reactor asks for it on task descriptors).
    static let urgentEvent: UInt32 = 0x002

    /// The reactor found the descriptor ready: wake whoever waits on the ready side.
    func handle(events: UInt32) {
        if events & (ASYNCTOP_IO_HUP | ASYNCTOP_IO_ERR | ASYNCTOP_IO_RDHUP | Self.urgentEvent) != 0 {
            readsToEAGAIN = true
        }
        if events & (ASYNCTOP_IO_IN | ASYNCTOP_IO_HUP | ASYNCTOP_IO_ERR | ASYNCTOP_IO_RDHUP | Self.urgentEvent) != 0 {
            mayRead = true
            wakeReader()
        }
        if events & (ASYNCTOP_IO_OUT | ASYNCTOP_IO_HUP | ASYNCTOP_IO_ERR) != 0 { wakeWriters() }
    }

    func wakeReader() { readWaiter?.fire() }

    func wakeWriters() {
        for entry in writeWaiters { entry.waiter.fire() }
    }

    /// Wakes both sides (the descriptor is closing): their calls retry and see it closed.
    func wakeAll() {
        wakeReader()
        wakeWriters()
    }

    /// Something more to say about a wait than its operation and title (a buffer's size).
    var waitDetail: String? { nil }

    /// A short state for the resources view ("at EOF", "closing"), if any.
    var stateDetail: String? { nil }

    /// Suspends the running task until the next edge on `direction` (or a wake-up of its
    /// side), or its cancellation.
    ///
    /// - Throws: `StreamError.concurrentRead` when another task already waits to read.
    func wait(_ direction: IODirection, for operation: IOOperation) async throws {
        let waiter = SleepWaiter()
        let task = loop.currentID
        switch direction {
        case .read:
            guard readWaiter == nil else { throw StreamError.concurrentRead(title) }
            readWaiter = waiter
            readTask = task
            readOperation = operation
        case .write:
            writeWaiters.append((waiter, task))
            writeOperation = operation
        }
        loop.noteWait(.subject(IOSide(self, direction)))
        defer {
            loop.clearWait()
            switch direction {
            case .read:
                if readWaiter === waiter { readWaiter = nil; readTask = 0 }
            case .write:
                writeWaiters.removeAll { $0.waiter === waiter }
            }
        }
        do {
            try await waiter.park()
        } catch {
            loop.noteCancelDelivered(in: "\(operation.rawValue) \(title)")
            throw error
        }
    }

    /// The wait a task on `direction` shows.
    func waitTarget(_ direction: IODirection) -> WaitTarget {
        let operation = direction == .read ? readOperation : writeOperation
        let name = waitDetail.map { "\(title), \($0)" } ?? title
        return .resource(kind: operation.rawValue, id: id, name: name)
    }

    /// The descriptor as the resources view lists it.
    func resourceInfo(now: Nanos) -> ResourceInfo {
        var parts: [String] = []
        if readTask != 0 { parts.append(readOperation.rawValue) }
        if !writeWaiters.isEmpty { parts.append(writeOperation.rawValue) }
        if let state = stateDetail { parts.append(state) }
        if kind != .server && kind != .process {
            parts.append("in \(formatBytes(bytesIn)), out \(formatBytes(bytesOut))")
        }
        parts.append("idle \(formatDuration(now &- min(now, lastActivity)))")
        return ResourceInfo(id: id, kind: kind.rawValue, name: title,
                            waiters: ([readTask] + writeWaiters.map(\.task)).filter { $0 != 0 },
                            detail: parts.joined(separator: ", "))
    }
}

/// One side of a watched descriptor, as a thing a task waits on (made for each wait: the
/// task's record may keep it after the descriptor's owner let go).
final class IOSide: DescribesWait, @unchecked Sendable {
    let watch: IOWatch
    let direction: IODirection

    init(_ watch: IOWatch, _ direction: IODirection) {
        self.watch = watch
        self.direction = direction
    }

    var waitTarget: WaitTarget { watch.waitTarget(direction) }
}

/// "0 B", "1.2 KiB", "3.4 MiB".
func formatBytes(_ count: UInt64) -> String {
    if count < 1024 { return "\(count) B" }
    let units = ["KiB", "MiB", "GiB", "TiB"]
    var value = Double(count) / 1024
    var unit = 0
    while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
    return (value >= 100 ? String(Int(value.rounded())) : String((value * 10).rounded() / 10)) + " " + units[unit]
}

extension SleepWaiter {
    /// Suspends the running task until the waiter fires (the loop saw what it waits for) or
    /// the task is cancelled (then it throws `CancellationError`).
    func park() async throws {
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                install(continuation)
            }
        } onCancel: {
            cancel()
        }
    }
}

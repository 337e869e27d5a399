import AsyncTopModel
import DequeModule

/// A task parked on a primitive: its token (to find it again on cancellation), its id (for
/// the resources view) and its continuation.
@usableFromInline
struct Waiter {
    @usableFromInline let token: UInt64
    @usableFromInline let task: TaskID
    @usableFromInline let continuation: UnsafeContinuation<Void, any Error>

    @usableFromInline
    init(token: UInt64, task: TaskID, continuation: UnsafeContinuation<Void, any Error>) {
        self.token = token
        self.task = task
        self.continuation = continuation
    }
}

/// The FIFO of tasks parked on a primitive. Kept inside the primitive's lock (`Locked`).
@usableFromInline
struct WaiterQueue {
    @usableFromInline var items: Deque<Waiter> = []
    @usableFromInline var lastToken: UInt64 = 0

    @usableFromInline init() {}

    @inlinable var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var tasks: [TaskID] { items.map(\.task) }

    @inlinable mutating func makeToken() -> UInt64 {
        lastToken &+= 1
        return lastToken
    }

    mutating func append(_ waiter: Waiter) { items.append(waiter) }

    /// The end of an `install` closure of ``park(guardedBy:install:onCancel:)``: parks `continuation`
    /// as `task` under `token`, unless the task is already cancelled.
    mutating func enqueue(_ continuation: UnsafeContinuation<Void, any Error>, token: UInt64,
                          task: TaskID) -> Result<Void, any Error>? {
        if Task.isCancelled { return .failure(CancellationError()) }
        items.append(Waiter(token: token, task: task, continuation: continuation))
        return nil
    }

    @inlinable mutating func popFirst() -> Waiter? { items.popFirst() }

    /// Removes the waiter with `token`, if it is still parked (a cancelled waiter).
    mutating func remove(_ token: UInt64) -> Waiter? {
        guard let index = items.firstIndex(where: { $0.token == token }) else { return nil }
        return items.remove(at: index)
    }

    /// Takes every waiter out, longest waiting first.
    mutating func removeAll() -> [Waiter] {
        // An empty Deque copied to an Array writes its count into the shared empty-array
        // storage, which ThreadSanitizer reports as a race between two queues' locks.
        if items.isEmpty { return [] }
        defer { items = [] }
        return Array(items)
    }
}

/// Parks the current task: `install` runs under the primitive's lock with the continuation
/// and either answers at once (ready, or already cancelled) or parks it and returns nil;
/// `onCancel` removes the parked waiter under the lock and resumes it outside.
@inline(__always)
func park(
    install: (UnsafeContinuation<Void, any Error>) -> Result<Void, any Error>?,
    onCancel: @Sendable () -> Void
) async throws {
    try await withTaskCancellationHandler {
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            if let now = install(continuation) { continuation.resume(with: now) }
        }
    } onCancel: {
        onCancel()
    }
}

/// ``park(install:onCancel:)`` for a primitive whose state `lock` guards; takes the lock
/// once more on waking (see ``WakeFence``).
@inline(__always)
func park(
    guardedBy lock: some WakeFence,
    install: (UnsafeContinuation<Void, any Error>) -> Result<Void, any Error>?,
    onCancel: @Sendable () -> Void
) async throws {
    defer { lock.fence() }
    try await park(install: install, onCancel: onCancel)
}

/// Parks the current task on `subject` as ``park(guardedBy:install:onCancel:)`` does, and says so: the
/// task's record shows the wait, and a cancellation that ends it is recorded as delivered
/// in `place`.
@inline(__always)
func park(
    guardedBy lock: some WakeFence, visibleAs subject: some WaitSubject, on loop: EventLoop?,
    delivered place: @autoclosure () -> String,
    install: (UnsafeContinuation<Void, any Error>) -> Result<Void, any Error>?,
    onCancel: @Sendable () -> Void
) async throws {
    loop?.noteWait(.subject(subject))
    defer { loop?.clearWait() }
    do {
        try await park(guardedBy: lock, install: install, onCancel: onCancel)
    } catch let error as CancellationError {
        loop?.noteCancelDelivered(in: place())
        throw error
    }
}

/// Parks the current task on `subject` for something a releaser hands over (a lock, a
/// permit, a queue slot or item), as ``park(guardedBy:visibleAs:on:delivered:install:onCancel:)``
/// does; `withdraw` takes the parked waiter back out on cancellation. Handed it just as the
/// cancellation came, the task gives it on with `passOn` and throws, as asyncio does.
@inline(__always)
func parkForHandOff(
    guardedBy lock: some WakeFence, visibleAs subject: some WaitSubject, on loop: EventLoop?,
    delivered place: @autoclosure () -> String,
    install: (UnsafeContinuation<Void, any Error>) -> Result<Void, any Error>?,
    withdraw: @Sendable () -> Waiter?, passOn: () -> Void
) async throws {
    try await park(guardedBy: lock, visibleAs: subject, on: loop, delivered: place(), install: install) {
        withdraw()?.continuation.resume(throwing: CancellationError())
    }
    if Task.isCancelled {
        passOn()
        loop?.noteCancelDelivered(in: place())
        throw CancellationError()
    }
}

/// The id of the loop task running now, or 0 (another thread, a bare loop).
@inline(__always)
func runningTaskID() -> TaskID {
    EventLoop.current?.currentID ?? 0
}

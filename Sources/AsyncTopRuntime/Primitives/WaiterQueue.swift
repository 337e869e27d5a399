import AsyncTopModel
import DequeModule

/// A task parked on a primitive: its token (to find it again on cancellation), its id (for
/// the resources view) and what resumes it (a continuation; any value in the state machines'
/// unit tests).
@usableFromInline
struct ParkedWaiter<Continuation> {
    @usableFromInline let token: UInt64
    @usableFromInline let task: TaskID
    @usableFromInline let continuation: Continuation

    @usableFromInline
    init(token: UInt64, task: TaskID, continuation: Continuation) {
        self.token = token
        self.task = task
        self.continuation = continuation
    }
}

/// The waiter of every primitive: a parked task's continuation.
@usableFromInline
typealias Waiter = ParkedWaiter<UnsafeContinuation<Void, any Error>>

/// What a state machine says to a task that asks for something (a lock, a permit, an item,
/// a set event): go on now, or suspend as the waiter `token`.
@usableFromInline
enum ArrivalAction: Equatable {
    case proceed
    case suspend(token: UInt64)
}

/// The FIFO of tasks parked on a primitive, the one waiting mechanism of every primitive.
/// Kept inside the primitive's state machine, under its lock (`Locked`).
///
/// Tokens come in arrival order; the waiters are found by token, so taking out a cancelled
/// waiter costs O(1): its token stays behind in `arrivals` until `popFirst` passes it or the
/// withdrawn tokens outnumber the parked ones (then `arrivals` is compacted: amortised O(1)).
@usableFromInline
struct Waiters<Continuation> {
    /// Tokens of parked waiters, longest waiting first, with some withdrawn ones among them.
    @usableFromInline var arrivals: Deque<UInt64> = []
    @usableFromInline var parked: [UInt64: ParkedWaiter<Continuation>] = [:]
    @usableFromInline var lastToken: UInt64 = 0
    /// ``tasks`` as last read, until the waiters change: a snapshot of a loop whose event
    /// has 100,000 waiters reads them again only when they changed.
    @usableFromInline var listed: [TaskID]?

    @usableFromInline init() {}

    @inlinable var isEmpty: Bool { parked.isEmpty }
    var count: Int { parked.count }
    /// The parked tasks, longest waiting first.
    var tasks: [TaskID] {
        mutating get {
            if let listed { return listed }
            let tasks = arrivals.compactMap { parked[$0]?.task }
            listed = tasks
            return tasks
        }
    }

    @inlinable mutating func makeToken() -> UInt64 {
        lastToken &+= 1
        return lastToken
    }

    @inlinable mutating func append(_ waiter: ParkedWaiter<Continuation>) {
        listed = nil
        arrivals.append(waiter.token)
        parked[waiter.token] = waiter
    }

    /// The end of an `install` closure of ``park(guardedBy:install:onCancel:)``: parks
    /// `continuation` as `task` under `token` (nil: parked), unless the task is `cancelled`.
    /// Read `Task.isCancelled` under the lock: a cancellation handler that ran before would
    /// not find the waiter, and one that runs after takes it out.
    @inlinable mutating func enqueue(_ continuation: Continuation, token: UInt64, task: TaskID,
                                     cancelled: Bool) -> Result<Void, any Error>? {
        if cancelled { return .failure(CancellationError()) }
        append(ParkedWaiter(token: token, task: task, continuation: continuation))
        return nil
    }

    /// ``enqueue(_:token:task:cancelled:)`` for the current task.
    @inlinable mutating func enqueue(_ continuation: Continuation, token: UInt64,
                                     task: TaskID) -> Result<Void, any Error>? {
        enqueue(continuation, token: token, task: task, cancelled: Task.isCancelled)
    }

    /// Takes out the longest waiting waiter.
    @inlinable mutating func popFirst() -> ParkedWaiter<Continuation>? {
        if listed != nil { listed = nil }
        while let token = arrivals.popFirst() {
            if let waiter = parked.removeValue(forKey: token) { return waiter }
        }
        return nil
    }

    /// Removes the waiter with `token`, if it is still parked (a cancelled waiter).
    @inlinable mutating func remove(_ token: UInt64) -> ParkedWaiter<Continuation>? {
        guard let waiter = parked.removeValue(forKey: token) else { return nil }
        listed = nil
        if parked.isEmpty {
            arrivals.removeAll(keepingCapacity: true)
        } else if arrivals.count > 16 && arrivals.count > 2 * parked.count {
            arrivals.removeAll { parked[$0] == nil }
        }
        return waiter
    }

    /// Takes every waiter out, longest waiting first.
    @inlinable mutating func removeAll() -> [ParkedWaiter<Continuation>] {
        if parked.isEmpty { return [] }
        var all: [ParkedWaiter<Continuation>] = []
        all.reserveCapacity(parked.count)
        while let waiter = popFirst() { all.append(waiter) }
        return all
    }

    /// Takes out up to `n` waiters, longest waiting first.
    @inlinable mutating func popFirst(_ n: Int) -> [ParkedWaiter<Continuation>] {
        var taken: [ParkedWaiter<Continuation>] = []
        while taken.count < n, let next = popFirst() { taken.append(next) }
        return taken
    }
}

extension ParkedWaiter: Sendable where Continuation: Sendable {}
extension Waiters: Sendable where Continuation: Sendable {}

/// The waiters of a primitive as its code keeps them.
@usableFromInline
typealias WaiterQueue = Waiters<UnsafeContinuation<Void, any Error>>

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
    guardedBy lock: some WakeFence, visibleAs subject: some DescribesWait, on loop: EventLoop?,
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
    guardedBy lock: some WakeFence, visibleAs subject: some DescribesWait, on loop: EventLoop?,
    delivered place: @autoclosure () -> String,
    install: (UnsafeContinuation<Void, any Error>) -> Result<Void, any Error>?,
    withdraw: @Sendable () -> UnsafeContinuation<Void, any Error>?, passOn: () -> Void
) async throws {
    try await park(guardedBy: lock, visibleAs: subject, on: loop, delivered: place(), install: install) {
        withdraw()?.resume(throwing: CancellationError())
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

import AsyncTopSync
import AsyncTopModel

/// A condition variable for tasks: asyncio's `Condition`, over a ``Lock`` of its own or a
/// shared one.
///
/// `wait()` releases the lock, waits for `notify`, and takes the lock back before returning
/// or throwing, cancellation included, as asyncio does.
public final class Condition: Sendable, DescribesWait, ResourceReporter {
    /// The name shown for tasks waiting on it.
    public let name: String?
    /// The underlying lock.
    public let lock: Lock
    let id = ResourceID.next()
    /// "Condition <name>", as waits and errors say it.
    let title: String

    let state = Locked(ConditionStateMachine<UnsafeContinuation<Void, any Error>>())

    /// Creates a condition over `lock`, or over a new lock named after the condition.
    public init(lock: Lock? = nil, name: String? = nil) {
        self.name = name
        self.title = name.map { "Condition \($0)" } ?? "Condition #\(id)"
        self.lock = lock ?? Lock(name: name.map { "\($0).lock" })
        ResourceRegistry.shared.add(self)
    }


    var waitTarget: WaitTarget { .resource(kind: "Condition", id: id, name: name) }

    var resourceInfo: ResourceInfo {
        let held = lock.state.withLock { $0.locked && $0.holder != 0 ? [$0.holder] : [] }
        return ResourceInfo(id: id, kind: "Condition", name: name, holders: held,
                            waiters: state.withLock { $0.waitingTasks }, detail: "lock \(lock.title)")
    }

    /// True while the lock is held.
    public var locked: Bool { lock.locked }
    /// Acquires the lock. See ``Lock/acquire()``.
    public func acquire() async throws { try await lock.acquire() }
    /// Releases the lock. See ``Lock/release()``.
    public func release() throws { try lock.release() }
    /// Runs `body` holding the lock: `async with condition:`.
    public func withLock<T>(_ body: () async throws -> T) async throws -> T { try await lock.withLock(body) }

    /// Releases the lock, waits until notified, and takes the lock back.
    ///
    /// The task is among the waiters before the lock is released: a notifier, which must hold
    /// the lock, cannot miss it, whatever thread it runs on. Notified just as it is cancelled,
    /// the task passes the notification on to the next waiter and throws, as asyncio does.
    ///
    /// - Throws: `ToolkitError.conditionLockNotHeld` when the lock is not held;
    ///   `CancellationError` as soon as the task is cancelled, once the lock is held again.
    public func wait() async throws {
        guard lock.locked else { throw ToolkitError.conditionLockNotHeld(title) }
        let me = runningTaskID()
        let token = state.withLock { $0.prepareWait() }
        let loop = EventLoop.current
        loop?.noteWait(.subject(self))
        var released = false
        var failure: (any Error)?
        do {
            try await park(guardedBy: state) { continuation in
                if let now = state.withLock({ $0.park(continuation, token: token, task: me, cancelled: Task.isCancelled) }) {
                    return now  // Already cancelled: still holding the lock.
                }
                do {
                    try lock.release()
                    released = true
                    return nil
                } catch {
                    // Released behind our back: not waiting after all, unless a notify or
                    // cancellation already took the waiter out (it resumes the continuation).
                    failure = error
                    return state.withLock { $0.withdraw(token) } == nil ? nil : .failure(error)
                }
            } onCancel: { [self] in
                state.withLock { $0.withdraw(token) }?.resume(throwing: CancellationError())
            }
        } catch {
            failure = failure ?? error
        }
        loop?.clearWait()
        // Not released (cancelled before waiting, or the lock was not held): nothing to take back.
        if !released, let failure {
            if failure is CancellationError { loop?.noteCancelDelivered(in: title) }
            throw failure
        }
        await lock.acquireUninterruptibly()
        if failure == nil && Task.isCancelled {
            // Notified as the cancellation came: the notification goes to the next waiter.
            try? notify(1)
            failure = CancellationError()
        }
        if let failure {
            if failure is CancellationError { loop?.noteCancelDelivered(in: title) }
            throw failure
        }
    }

    /// Waits until `predicate` is true, checking it first and after every notification.
    ///
    /// - Returns: the predicate's last value (true).
    /// - Throws: as ``wait()``, and what `predicate` throws.
    @discardableResult
    public func waitFor(_ predicate: () throws -> Bool) async throws -> Bool {
        while true {
            let result = try predicate()
            if result { return result }
            try await wait()
        }
    }

    /// Wakes up to `n` waiting tasks, longest waiting first.
    ///
    /// - Throws: `ToolkitError.conditionLockNotHeld` when the lock is not held.
    public func notify(_ n: Int = 1) throws {
        guard lock.locked else { throw ToolkitError.conditionLockNotHeld(title) }
        for continuation in state.withLock({ $0.notify(n) }) { continuation.resume() }
    }

    /// Wakes every waiting task.
    ///
    /// - Throws: `ToolkitError.conditionLockNotHeld` when the lock is not held.
    public func notifyAll() throws {
        guard lock.locked else { throw ToolkitError.conditionLockNotHeld(title) }
        for continuation in state.withLock({ $0.notifyAll() }) { continuation.resume() }
    }
}

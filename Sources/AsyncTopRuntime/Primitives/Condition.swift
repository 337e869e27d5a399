import AsyncTopModel
import Synchronization

/// A condition variable for tasks: asyncio's `Condition`, over a ``Lock`` of its own or a
/// shared one.
///
/// `wait()` releases the lock, waits for `notify`, and takes the lock back before returning
/// or throwing, cancellation included, as asyncio does.
public final class Condition: Sendable, WaitSubject, ResourceReporter {
    /// The name shown for tasks waiting on it.
    public let name: String?
    /// The underlying lock.
    public let lock: Lock
    let id = ResourceID.next()
    /// "Condition <name>", as waits and errors say it.
    let title: String

    private let waiters = Mutex(WaiterQueue())

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
                            waiters: waiters.withLock { $0.tasks }, detail: "lock \(lock.title)")
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
    /// - Throws: `ToolkitError.conditionLockNotHeld` when the lock is not held;
    ///   `CancellationError` as soon as the task is cancelled, once the lock is held again.
    public func wait() async throws {
        guard lock.locked else { throw ToolkitError.conditionLockNotHeld(title) }
        let me = runningTaskID()
        let token = waiters.withLock { $0.makeToken() }
        try lock.release()
        let loop = EventLoop.current
        loop?.noteWait(.subject(self))
        var failure: (any Error)?
        do {
            try await park { continuation in
                waiters.withLock { waiters in
                    waiters.enqueue(continuation, token: token, task: me)
                }
            } onCancel: { [self] in
                waiters.withLock { $0.remove(token) }?.continuation.resume(throwing: CancellationError())
            }
        } catch {
            failure = error
        }
        loop?.clearWait()
        await lock.acquireUninterruptibly()
        if let failure {
            loop?.noteCancelDelivered(in: title)
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
        let woken = waiters.withLock { waiters -> [Waiter] in
            var woken: [Waiter] = []
            while woken.count < n, let next = waiters.popFirst() { woken.append(next) }
            return woken
        }
        for waiter in woken { waiter.continuation.resume() }
    }

    /// Wakes every waiting task.
    ///
    /// - Throws: `ToolkitError.conditionLockNotHeld` when the lock is not held.
    public func notifyAll() throws {
        guard lock.locked else { throw ToolkitError.conditionLockNotHeld(title) }
        for waiter in waiters.withLock({ $0.removeAll() }) { waiter.continuation.resume() }
    }
}

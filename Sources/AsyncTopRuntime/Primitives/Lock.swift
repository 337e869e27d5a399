import AsyncTopSync
import AsyncTopModel

/// A mutual-exclusion lock for tasks: asyncio's `Lock`. Fair (FIFO: `release()` hands the
/// lock to the longest waiter), not reentrant, and any task may release it.
///
/// Acquiring a free lock does not suspend. A waiting task shows as "Lock <name>"; a waiter
/// cancelled while it waits never ends up holding the lock.
public final class Lock: Sendable, DescribesWait, ResourceReporter {
    /// The name shown for tasks waiting on it.
    public let name: String?
    let id = ResourceID.next()
    /// "Lock <name>", as waits and errors say it.
    let title: String

    let state = Locked(LockStateMachine<UnsafeContinuation<Void, any Error>>())

    public init(name: String? = nil) {
        self.name = name
        self.title = name.map { "Lock \($0)" } ?? "Lock #\(id)"
        ResourceRegistry.shared.add(self)
    }


    /// True while some task holds the lock.
    public var locked: Bool { state.withLock { $0.locked } }

    var waitTarget: WaitTarget { .resource(kind: "Lock", id: id, name: name) }

    var resourceInfo: ResourceInfo {
        state.withLock { state in
            ResourceInfo(id: id, kind: "Lock", name: name, holders: state.locked && state.holder != 0 ? [state.holder] : [],
                         waiters: state.waiters.tasks, detail: state.locked ? "locked" : "unlocked")
        }
    }

    /// Acquires the lock, waiting in FIFO order while another task holds it.
    ///
    /// - Throws: `CancellationError` as soon as the waiting task is cancelled; the lock is
    ///   then not held by it.
    public func acquire() async throws {
        let me = runningTaskID()
        guard case .suspend(let token) = state.withLock({ $0.acquire(by: me) }) else { return }
        try await acquireSlowly(me: me, token: token)
    }

    private func acquireSlowly(me: TaskID, token: UInt64) async throws {
        let loop = EventLoop.current
        // Handed the lock as the cancellation came: pass it on (release).
        try await parkForHandOff(guardedBy: state, visibleAs: self, on: loop, delivered: title) { continuation in
            state.withLock { $0.park(continuation, token: token, task: me, cancelled: Task.isCancelled) }
        } withdraw: { [self] in
            state.withLock { $0.withdraw(token) }
        } passOn: {
            try? release()
        }
    }

    /// Acquires the lock ignoring cancellation: a condition taking its lock back.
    func acquireUninterruptibly() async {
        let me = runningTaskID()
        guard case .suspend(let token) = state.withLock({ $0.acquire(by: me) }) else { return }
        let loop = EventLoop.current
        loop?.noteWait(.subject(self))
        defer { loop?.clearWait() }
        // No cancellation handler: nothing removes this waiter but `release()`, which
        // resumes it without an error.
        try? await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            if let now = state.withLock({ $0.park(continuation, token: token, task: me, cancelled: false) }) {
                continuation.resume(with: now)
            }
        }
        state.fence()
    }

    /// Releases the lock, handing it to the longest waiter if any.
    ///
    /// - Throws: `ToolkitError.lockNotHeld` when the lock is not locked.
    public func release() throws {
        if case .resume(let next) = try state.withLock({ try $0.release(title: title) }) { next.resume() }
    }

    /// Runs `body` holding the lock: `async with lock:`. Releases it on return, error and
    /// cancellation.
    public func withLock<T>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { try? release() }
        return try await body()
    }
}

import AsyncTopSync
import AsyncTopModel

/// A mutual-exclusion lock for tasks: asyncio's `Lock`. Fair (FIFO: `release()` hands the
/// lock to the longest waiter), not reentrant, and any task may release it.
///
/// Acquiring a free lock does not suspend. A waiting task shows as "Lock <name>"; a waiter
/// cancelled while it waits never ends up holding the lock.
public final class Lock: Sendable, WaitSubject, ResourceReporter {
    /// The name shown for tasks waiting on it.
    public let name: String?
    let id = ResourceID.next()
    /// "Lock <name>", as waits and errors say it.
    let title: String

    struct State {
        var locked = false
        var holder: TaskID = 0
        var waiters = WaiterQueue()
    }
    let state = Locked(State())

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
        let token: UInt64? = state.withLock { state in
            if !state.locked {
                state.locked = true
                state.holder = me
                return nil
            }
            return state.waiters.makeToken()
        }
        guard let token else { return }
        try await acquireSlowly(me: me, token: token)
    }

    private func acquireSlowly(me: TaskID, token: UInt64) async throws {
        let loop = EventLoop.current
        // Handed the lock as the cancellation came: pass it on (release).
        try await parkForHandOff(guardedBy: state, visibleAs: self, on: loop, delivered: title) { continuation in
            state.withLock { state in
                if !state.locked {
                    state.locked = true
                    state.holder = me
                    return .success(())
                }
                return state.waiters.enqueue(continuation, token: token, task: me)
            }
        } withdraw: { [self] in
            state.withLock { $0.waiters.remove(token) }
        } passOn: {
            try? release()
        }
    }

    /// Acquires the lock ignoring cancellation: a condition taking its lock back.
    func acquireUninterruptibly() async {
        let me = runningTaskID()
        let free = state.withLock { state -> Bool in
            if state.locked { return false }
            state.locked = true
            state.holder = me
            return true
        }
        if free { return }
        let loop = EventLoop.current
        loop?.noteWait(.subject(self))
        defer { loop?.clearWait() }
        // No cancellation handler: nothing removes this waiter but `release()`, which
        // resumes it without an error.
        try? await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            let now = state.withLock { state -> Bool in
                if !state.locked {
                    state.locked = true
                    state.holder = me
                    return true
                }
                state.waiters.append(Waiter(token: state.waiters.makeToken(), task: me, continuation: continuation))
                return false
            }
            if now { continuation.resume() }
        }
        state.fence()
    }

    /// Releases the lock, handing it to the longest waiter if any.
    ///
    /// - Throws: `ToolkitError.lockNotHeld` when the lock is not locked.
    public func release() throws {
        let next: Waiter? = try state.withLock { state throws -> Waiter? in
            guard state.locked else { throw ToolkitError.lockNotHeld(title) }
            if let next = state.waiters.popFirst() {
                state.holder = next.task
                return next
            }
            state.locked = false
            state.holder = 0
            return nil
        }
        next?.continuation.resume()
    }

    /// Runs `body` holding the lock: `async with lock:`. Releases it on return, error and
    /// cancellation.
    public func withLock<T>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { try? release() }
        return try await body()
    }
}

import AsyncTopModel

/// The state of a ``Lock``: who holds it and who waits, in FIFO order. Pure: its methods
/// say what to resume, and ``Lock`` resumes it once its mutex is released.
struct LockStateMachine<Continuation> {
    private(set) var locked = false
    /// The task holding the lock; 0 for a holder outside the loop or none.
    private(set) var holder: TaskID = 0
    private(set) var waiters = Waiters<Continuation>()

    /// What `release()` says to do.
    enum ReleaseAction {
        /// The lock passed to this waiter: resume it.
        case resume(Continuation)
        /// Nobody waited: the lock is free.
        case unlocked
    }

    /// `task` asks for the lock: it takes it if free, or is to park.
    mutating func acquire(by task: TaskID) -> ArrivalAction {
        if locked { return .suspend(token: waiters.makeToken()) }
        locked = true
        holder = task
        return .proceed
    }

    /// Parks `continuation` as the waiter `token` of `task`, unless the lock came free since
    /// `acquire(by:)` (success: it holds it now) or the task is `cancelled` (failure);
    /// nil when parked.
    mutating func park(_ continuation: Continuation, token: UInt64, task: TaskID,
                       cancelled: Bool) -> Result<Void, any Error>? {
        if case .proceed = acquire(by: task) { return .success(()) }
        return waiters.enqueue(continuation, token: token, task: task, cancelled: cancelled)
    }

    /// Takes the cancelled waiter `token` out; nil when the lock was handed to it already.
    mutating func withdraw(_ token: UInt64) -> Continuation? {
        waiters.remove(token)?.continuation
    }

    /// Releases the lock, handing it to the longest waiter if any.
    ///
    /// - Throws: `ToolkitError.lockNotHeld(title)` when it is not locked.
    mutating func release(title: String) throws(ToolkitError) -> ReleaseAction {
        guard locked else { throw ToolkitError.lockNotHeld(title) }
        if let next = waiters.popFirst() {
            holder = next.task
            return .resume(next.continuation)
        }
        locked = false
        holder = 0
        return .unlocked
    }
}

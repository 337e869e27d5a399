import AsyncTopModel

/// The state of a ``Lock``: who holds it and who waits, in FIFO order. Pure: its methods
/// say what to resume, and ``Lock`` resumes it once its mutex is released.
struct LockStateMachine<Continuation>: HandOffStateMachine {
    private(set) var locked = false
    /// The task holding the lock; 0 for a holder outside the loop or none.
    private(set) var holder: TaskID = 0
    var waiters = Waiters<Continuation>()

    /// What `release()` says to do.
    enum ReleaseAction {
        /// The lock passed to this waiter: resume it.
        case resume(Continuation)
        /// Nobody waited: the lock is free.
        case unlocked
    }

    /// `task` takes the lock if it is free.
    mutating func take(by task: TaskID) -> Bool {
        if locked { return false }
        locked = true
        holder = task
        return true
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

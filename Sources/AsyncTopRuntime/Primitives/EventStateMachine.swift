import AsyncTopModel

/// The state of an ``Event``: the flag and the tasks waiting for it, in FIFO order. Pure:
/// its methods say what to resume, and ``Event`` resumes it once its mutex is released.
struct EventStateMachine<Continuation> {
    private(set) var isSet = false
    private(set) var waiters = Waiters<Continuation>()
    /// The waiting tasks, longest waiting first (read again only after they changed).
    var waitingTasks: [TaskID] { mutating get { waiters.tasks } }

    /// A task asks to wait: it goes on if the flag is set, or is to park.
    mutating func wait() -> ArrivalAction {
        isSet ? .proceed : .suspend(token: waiters.makeToken())
    }

    /// Parks `continuation` as the waiter `token` of `task`, unless the flag was set since
    /// `wait()` (success) or the task is `cancelled` (failure); nil when parked.
    mutating func park(_ continuation: Continuation, token: UInt64, task: TaskID,
                       cancelled: Bool) -> Result<Void, any Error>? {
        if isSet { return .success(()) }
        return waiters.enqueue(continuation, token: token, task: task, cancelled: cancelled)
    }

    /// Takes the cancelled waiter `token` out; nil when `set()` woke it already.
    mutating func withdraw(_ token: UInt64) -> Continuation? {
        waiters.remove(token)?.continuation
    }

    /// Sets the flag: every waiter is to resume, longest waiting first.
    mutating func set() -> [Continuation] {
        isSet = true
        return waiters.removeAll().map(\.continuation)
    }

    /// Clears the flag.
    mutating func clear() { isSet = false }
}

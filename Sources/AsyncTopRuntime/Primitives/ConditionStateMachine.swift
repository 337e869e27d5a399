import AsyncTopModel

/// The waiters of a ``Condition``, in FIFO order (its lock keeps the rest). Pure: its methods
/// say what to resume, and ``Condition`` resumes it once its mutex is released.
struct ConditionStateMachine<Continuation> {
    private(set) var waiters = Waiters<Continuation>()
    /// The waiting tasks, longest waiting first (read again only after they changed).
    var waitingTasks: [TaskID] { mutating get { waiters.tasks } }

    /// A task is about to wait: the token it parks under.
    mutating func prepareWait() -> UInt64 { waiters.makeToken() }

    /// Parks `continuation` as the waiter `token` of `task`, unless the task is `cancelled`
    /// (failure); nil when parked.
    mutating func park(_ continuation: Continuation, token: UInt64, task: TaskID,
                       cancelled: Bool) -> Result<Void, any Error>? {
        waiters.enqueue(continuation, token: token, task: task, cancelled: cancelled)
    }

    /// Takes the waiter `token` out (cancelled, or its wait failed); nil when a notify woke
    /// it already.
    mutating func withdraw(_ token: UInt64) -> Continuation? {
        waiters.remove(token)?.continuation
    }

    /// Up to `n` waiters are to resume, longest waiting first.
    mutating func notify(_ n: Int) -> [Continuation] {
        waiters.popFirst(n).map(\.continuation)
    }

    /// Every waiter is to resume, longest waiting first.
    mutating func notifyAll() -> [Continuation] {
        waiters.removeAll().map(\.continuation)
    }
}

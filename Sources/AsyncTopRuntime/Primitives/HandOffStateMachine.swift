import AsyncTopModel

/// The arrival half of a state machine whose tasks take something that may be free — a
/// lock, a permit — or park until a release hands it to them, in FIFO order
/// (``LockStateMachine``, ``SemaphoreStateMachine``).
protocol HandOffStateMachine {
    associatedtype Continuation
    var waiters: Waiters<Continuation> { get set }
    /// Takes what `task` asks for if it is free now; false when it is to park.
    mutating func take(by task: TaskID) -> Bool
}

extension HandOffStateMachine {
    /// `task` asks: it takes it if free, or is to park as the waiter of the token returned.
    mutating func acquire(by task: TaskID) -> ArrivalAction {
        take(by: task) ? .proceed : .suspend(token: waiters.makeToken())
    }

    /// Parks `continuation` as the waiter `token` of `task`, unless what it asked for came
    /// free since ``acquire(by:)`` (success: it holds it now) or the task is `cancelled`
    /// (failure); nil when parked.
    mutating func park(_ continuation: Continuation, token: UInt64, task: TaskID,
                       cancelled: Bool) -> Result<Void, any Error>? {
        if take(by: task) { return .success(()) }
        return waiters.enqueue(continuation, token: token, task: task, cancelled: cancelled)
    }

    /// Takes the cancelled waiter `token` out; nil when it was handed what it asked for already.
    mutating func withdraw(_ token: UInt64) -> Continuation? {
        waiters.remove(token)?.continuation
    }
}

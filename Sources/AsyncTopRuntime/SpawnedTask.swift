import AsyncTopModel
import Synchronization

/// Storage shared by a spawned task and its handles: the Swift task, its result, the
/// awaiting continuations and the done callbacks.
///
/// Not generic: the result is kept as `any Sendable` and `TaskHandle<T>` casts it back. A
/// generic box made every spawn from another module look up generic metadata at run time.
final class SpawnedTask: @unchecked Sendable {
    /// The runtime's task id; set by the loop's `enqueue` while `Task.init` runs.
    var id: TaskID = 0
    let name: String?
    /// The record made by `spawn` on another thread, until the loop files it in its
    /// registry (instrumented loops only). Touched by the spawning thread, then only by the
    /// loop thread.
    var pendingRecord: TaskRecord?
    /// Where a task spawned on another thread came from, until the loop files its record.
    var pendingSite: SpawnSite?
    /// The registry slot of the task's record (-1 until it has one, or when not instrumented).
    /// The registry keeps it current when it moves records. Loop thread only.
    var slot: Slot = -1
    /// The task's loop, while it exists. Weak: a handle may outlive its loop (kept after
    /// `EventLoop.run` returned), and the loop's records hold this box.
    private(set) weak var loop: EventLoop?

    struct State {
        var task: Task<Void, Never>?
        var result: Result<any Sendable, any Error>?
        var waiters: [UnsafeContinuation<Void, Never>] = []
        var callbacks: [@Sendable () -> Void] = []
        /// Combinators waiting on this task, told synchronously at its end.
        var observers: [(observer: any TaskCompletionObserver, index: Int)] = []
        /// Someone took the error of the failed task (see ``retrieve()``).
        var retrieved = false
        /// The loop closed before the task finished: it never will.
        var abandoned = false
    }

    let state = Mutex(State())

    init(name: String?, loop: EventLoop?) {
        self.name = name
        self.loop = loop
    }

    var result: Result<any Sendable, any Error>? { state.withLock { $0.result } }

    /// The result, for someone who takes it: the first time it is a failure other than a
    /// cancellation, the loop notes the error as retrieved (asyncio's `Task.__log_traceback`
    /// flag), which the "error never retrieved" lint reads.
    func retrieve() -> Result<any Sendable, any Error>? {
        let (result, first) = state.withLock { state -> (Result<any Sendable, any Error>?, Bool) in
            guard case .failure(let error)? = state.result, !(error is CancellationError), !state.retrieved else {
                return (state.result, false)
            }
            state.retrieved = true
            return (state.result, true)
        }
        if first, let loop, loop.instrumented, !loop.isClosedNow {
            let at = loop.timeBase.now()
            let id = self.id
            loop.onLoop { loop in loop.registry.noteRetrieved(id, at: at) }
        }
        return result
    }

    /// Records on the task that `awaiter` awaits it through `shield`.
    func noteShielded(by awaiter: TaskID) {
        guard let loop, loop.instrumented, !loop.isClosedNow else { return }
        let id = self.id
        loop.onLoop { loop in loop.registry.noteShielded(id, by: awaiter) }
    }

    /// Records on the task that a time-out cancels it `seconds` from now.
    func noteDeadline(in seconds: Double) {
        guard let loop, loop.instrumented, !loop.isClosedNow else { return }
        let id = self.id
        let deadline = loop.timeBase.now() &+ seconds.asNanos
        loop.onLoop { loop in loop.registry.noteDeadline(id, deadline) }
    }

    /// A short description of the result of a task that finished normally (nil for Void).
    var resultDescription: String? {
        guard case .success(let value)? = result, !(value is Void) else { return nil }
        let text = String(describing: value)
        return text.count > 80 ? String(text.prefix(79)) + "…" : text
    }

    /// Requests cancellation, recording who asked. Returns false when the task already
    /// finished, or its loop is closed (or gone): nothing of it runs any more.
    func cancel(message: String?, requester: CancelRequester) -> Bool {
        guard let loop, !loop.isClosedNow else { return false }
        let task: Task<Void, Never>? = state.withLock { state in
            state.result == nil && !state.abandoned ? state.task : nil
        }
        guard let task else { return false }
        if loop.instrumented {
            // Recorded on the loop before the task can observe the cancellation: the
            // task's next step is queued behind this note.
            let at = loop.timeBase.now()
            let id = self.id
            if loop.isOnLoopThread {
                loop.registry.noteCancelRequested(id, by: requester, message: message, at: at)
            } else {
                loop.onLoop { loop in
                    loop.registry.noteCancelRequested(id, by: requester, message: message, at: at)
                }
            }
        }
        task.cancel()
        return true
    }

    /// Stores the result, wakes the awaiting tasks and schedules the done callbacks on `loop`.
    func complete(_ result: Result<any Sendable, any Error>, on loop: EventLoop) {
        let (waiters, callbacks, observers) = state.withLock { state in
            state.result = result
            defer { state.waiters = []; state.callbacks = []; state.observers = [] }
            return (state.waiters, state.callbacks, state.observers)
        }
        for waiter in waiters { waiter.resume() }
        for callback in callbacks { loop.callSoonAnywhere(callback) }
        if !observers.isEmpty {
            let outcome = TaskOutcome(result)
            for (observer, index) in observers { observer.taskFinished(index, outcome) }
        }
    }

    /// The task's loop closed before it finished: wake its awaiters (they get
    /// `LoopError.closed`) and drop its done callbacks, which will never be due.
    func loopClosed() {
        let waiters = state.withLock { state -> [UnsafeContinuation<Void, Never>] in
            guard state.result == nil else { return [] }
            state.abandoned = true
            state.callbacks = []
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Tells `observer` when the task ends, with `index`; false (and no call) when it already has.
    func observe(_ observer: any TaskCompletionObserver, index: Int) -> Bool {
        state.withLock { state in
            if state.result != nil { return false }
            state.observers.append((observer, index))
            return true
        }
    }

    enum CallbackRegistration { case added, finished, abandoned }

    /// Registers a callback for the end, unless the task already ended or never will.
    func addCallback(_ callback: @escaping @Sendable () -> Void) -> CallbackRegistration {
        state.withLock { state in
            if state.result != nil { return .finished }
            if state.abandoned { return .abandoned }
            state.callbacks.append(callback)
            return .added
        }
    }

    /// Waits for the result without propagating cancellation; `LoopError.closed` when the
    /// loop closed before the task finished.
    func waitForResult() async -> Result<any Sendable, any Error> {
        if let result = self.retrieve() { return result }
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let done = state.withLock { state in
                if state.result != nil || state.abandoned { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        return self.retrieve() ?? .failure(LoopError.closed)
    }
}

/// How a task ended, as the combinators sort it.
enum TaskOutcome: Sendable {
    case returned, failed, cancelled

    init(_ result: Result<any Sendable, any Error>) {
        switch result {
        case .success: self = .returned
        case .failure(let error): self = error is CancellationError ? .cancelled : .failed
        }
    }
}

/// A combinator waiting on tasks: told synchronously, on the finishing task's thread, as each ends.
protocol TaskCompletionObserver: AnyObject, Sendable {
    func taskFinished(_ index: Int, _ outcome: TaskOutcome)
}

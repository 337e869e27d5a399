import AsyncTopModel
import Synchronization

/// The type-erased part of a spawned task's storage: what the registry needs to cancel it
/// and to show its result.
class AnyTaskBox: @unchecked Sendable {
    /// The runtime's task id; set by the loop's `enqueue` while `Task.init` runs.
    final var id: TaskID = 0
    final let name: String?
    /// The loop's record of the task; nil when the loop is not instrumented.
    final let record: TaskRecord?
    unowned(unsafe) final let loop: EventLoop

    init(name: String?, record: TaskRecord?, loop: EventLoop) {
        self.name = name
        self.record = record
        self.loop = loop
    }

    /// A short description of the result of a task that finished normally (nil for Void).
    var resultDescription: String? { nil }

    /// Requests cancellation. Returns false when the task already finished.
    func cancel(message: String?, requester: CancelRequester) -> Bool { false }
}

/// Storage shared by a spawned task and its handles: the Swift task, its result, the
/// awaiting continuations and the done callbacks.
final class TaskBox<T: Sendable>: AnyTaskBox, @unchecked Sendable {
    struct State {
        var task: Task<Void, Never>?
        var result: Result<T, any Error>?
        var waiters: [UnsafeContinuation<Void, Never>] = []
        var callbacks: [@Sendable (TaskHandle<T>) -> Void] = []
        var cancelRequested = false
    }

    let state = Mutex(State())

    override var resultDescription: String? {
        guard T.self != Void.self, case .success(let value)? = state.withLock({ $0.result }) else { return nil }
        let text = String(describing: value)
        return text.count > 80 ? String(text.prefix(79)) + "…" : text
    }

    var result: Result<T, any Error>? { state.withLock { $0.result } }

    override func cancel(message: String?, requester: CancelRequester) -> Bool {
        let task: Task<Void, Never>? = state.withLock { state in
            guard state.result == nil else { return nil }
            state.cancelRequested = true
            return state.task
        }
        guard let task else { return false }
        if let record {
            // Recorded on the loop before the task can observe the cancellation: the
            // task's next step is queued behind this note.
            let at = loop.timeBase.now()
            loop.onLoop { loop in
                loop.registry.noteCancelRequested(record, by: requester, message: message, at: at)
            }
        }
        task.cancel()
        return true
    }

    /// Stores the result, wakes the awaiting tasks and schedules the done callbacks.
    func complete(_ result: Result<T, any Error>) {
        let (waiters, callbacks) = state.withLock { state in
            state.result = result
            defer { state.waiters = []; state.callbacks = [] }
            return (state.waiters, state.callbacks)
        }
        for waiter in waiters { waiter.resume() }
        if !callbacks.isEmpty {
            let handle = TaskHandle(box: self)
            for callback in callbacks { loop.callSoonAnywhere { callback(handle) } }
        }
    }

    /// Waits for the result without propagating cancellation.
    func waitForResult() async -> Result<T, any Error> {
        if let result = self.result { return result }
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let done = state.withLock { state in
                if state.result != nil { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        return self.result!
    }
}

import AsyncTopModel
import Synchronization

/// The engine of the combinators: watches a set of tasks and wakes one awaiting task when
/// enough of them ended, or at a deadline.
final class TaskSetWaiter: TaskCompletionObserver, DescribesWait, @unchecked Sendable {
    enum Need {
        /// Every task ended.
        case all
        /// More than `n` tasks ended.
        case more(than: Int)
        /// Every task ended, or one failed or was cancelled (gather without returnExceptions).
        case allOrError
        /// Every task ended, or one failed with an error other than cancellation (FIRST_EXCEPTION).
        case allOrFailure
    }

    struct State {
        var remaining: Int
        /// Indices in the order the tasks ended (kept only when asked for).
        var completed: [Int] = []
        var ended = 0
        var firstError: Int?
        var firstFailure: Int?
        var timedOut = false
        var wakeOnTimeout = false
        var need = Need.all
        var continuation: UnsafeContinuation<Void, any Error>?
        var timer: LoopCallback?

        func satisfied(_ need: Need) -> Bool {
            if wakeOnTimeout { return true }
            switch need {
            case .all: return remaining == 0
            case .more(let n): return ended > n
            case .allOrError: return remaining == 0 || firstError != nil
            case .allOrFailure: return remaining == 0 || firstFailure != nil
            }
        }
    }

    let label: String
    let keepsOrder: Bool
    let state: Mutex<State>

    init(label: String, count: Int, keepsOrder: Bool = false) {
        self.label = label
        self.keepsOrder = keepsOrder
        self.state = Mutex(State(remaining: count))
    }

    var waitTarget: WaitTarget { .other(label) }

    /// Starts watching; tasks that already ended count at once, in argument order.
    func watch(_ boxes: [SpawnedTask]) {
        for (index, box) in boxes.enumerated() where !box.observe(self, index: index) {
            taskFinished(index, TaskOutcome(box.result!))
        }
    }

    func taskFinished(_ index: Int, _ outcome: TaskOutcome) {
        let continuation = state.withLock { state -> UnsafeContinuation<Void, any Error>? in
            state.remaining -= 1
            state.ended += 1
            if keepsOrder { state.completed.append(index) }
            if outcome != .returned && state.firstError == nil { state.firstError = index }
            if outcome == .failed && state.firstFailure == nil { state.firstFailure = index }
            guard state.continuation != nil, state.satisfied(state.need) else { return nil }
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume()
    }

    /// Calls `expire` on the loop after `seconds`.
    func startTimer(_ seconds: Double, on loop: EventLoop, _ expire: @escaping @Sendable (TaskSetWaiter) -> Void) throws {
        let timer = try loop.callLater(seconds) { [weak self] in if let self { expire(self) } }
        state.withLock { $0.timer = timer }
    }

    func cancelTimer() {
        state.withLock { $0.timer }?.cancel()
    }

    /// Marks the deadline passed; with `wake`, the awaiting task returns now.
    func expire(wake: Bool) {
        let continuation = state.withLock { state -> UnsafeContinuation<Void, any Error>? in
            state.timedOut = true
            guard wake else { return nil }
            state.wakeOnTimeout = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume()
    }

    var timedOut: Bool { state.withLock { $0.timedOut } }

    /// Suspends until `need` holds (or the deadline woke it).
    ///
    /// - Throws: `CancellationError` as soon as the awaiting task is cancelled.
    func wait(for need: Need) async throws {
        try await park { continuation in
            state.withLock { state in
                if state.satisfied(need) { return .success(()) }
                if Task.isCancelled { return .failure(CancellationError()) }
                state.need = need
                state.continuation = continuation
                return nil
            }
        } onCancel: { [self] in
            state.withLock { state in
                defer { state.continuation = nil }
                return state.continuation
            }?.resume(throwing: CancellationError())
        }
    }

    /// Suspends until `need` holds, ignoring cancellation (a group waiting for its children).
    func waitUninterruptibly(for need: Need) async {
        try? await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            let now = state.withLock { state -> Bool in
                if state.satisfied(need) { return true }
                state.need = need
                state.continuation = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }
}

extension TaskHandle {
    /// The finished task's result, typed.
    var typedResult: Result<T, any Error> {
        switch box.retrieve()! {
        case .success(let value): .success(value as! T)
        case .failure(let error): .failure(error)
        }
    }
}

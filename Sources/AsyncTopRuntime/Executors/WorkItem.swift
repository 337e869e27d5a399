import AsyncTopModel
import Synchronization

/// A call handed to an executor (a thread pool or a process pool), and the task awaiting it.
///
/// Its phase moves queued → running → finished; or queued → cancelled when the awaiting
/// task is cancelled while it waits; or running → orphaned when that happens while it runs
/// (a thread or a worker process cannot be stopped: the work runs on and its result is
/// dropped).
final class WorkItem: @unchecked Sendable, DescribesWait {
    let id: UInt64
    let executorName: String
    let label: String?
    let awaitingTask: TaskID?
    /// Monotonic nanoseconds.
    let enqueuedAt: UInt64
    /// The call, for thread pools; nil for work run elsewhere (a worker process).
    private let work: (@Sendable () -> Result<any Sendable, any Error>)?

    enum Phase { case queued, running, orphaned, finished, cancelled }
    private struct State {
        var phase = Phase.queued
        var continuation: UnsafeContinuation<any Sendable, any Error>?
        var result: Result<any Sendable, any Error>?
        var worker: String?
        var startedAt: UInt64 = 0
    }
    private let state = Mutex(State())

    init(executorName: String, label: String?, awaitingTask: TaskID?,
         work: (@Sendable () -> Result<any Sendable, any Error>)? = nil) {
        self.id = ResourceID.next()
        self.executorName = executorName
        self.label = label
        self.awaitingTask = awaitingTask
        self.enqueuedAt = MonotonicClock.now()
        self.work = work
    }

    var waitTarget: WaitTarget { .workItem(executor: executorName, item: id) }

    /// Installs the awaiting continuation, or resumes it at once when the item already
    /// finished or its await was already cancelled.
    func install(_ continuation: UnsafeContinuation<any Sendable, any Error>) {
        let now: Result<any Sendable, any Error>? = state.withLock { state in
            switch state.phase {
            case .cancelled, .orphaned: return .failure(CancellationError())
            case .finished: return state.result
            case .queued, .running:
                state.continuation = continuation
                return nil
            }
        }
        if let now { continuation.resume(with: now) }
    }

    /// Called by a worker: runs the call unless its await was cancelled while it was
    /// queued, then hands the result to the awaiting task if it still waits.
    func execute(on worker: String) {
        guard begin(on: worker), let work else { return }
        finish(with: work())
    }

    /// Marks the item running on `worker`; false when its await was cancelled while it was
    /// queued (the item is then dropped).
    func begin(on worker: String) -> Bool {
        state.withLock { state -> Bool in
            guard state.phase == .queued else { return false }
            state.phase = .running
            state.worker = worker
            state.startedAt = MonotonicClock.now()
            return true
        }
    }

    /// The work ended, here or elsewhere: hands the result to the awaiting task if it still
    /// waits.
    func finish(with result: Result<any Sendable, any Error>) {
        let continuation = state.withLock { state -> UnsafeContinuation<any Sendable, any Error>? in
            let waiting = state.phase == .running
            state.phase = .finished
            state.result = waiting ? result : nil
            defer { state.continuation = nil }
            return waiting ? state.continuation : nil
        }
        continuation?.resume(with: result)
    }

    /// The awaiting task was cancelled: the await ends now with `CancellationError`. A queued
    /// item is cancelled (the caller removes it from the queue); a running one becomes an
    /// orphan. Returns the phase the item had.
    @discardableResult
    func cancelAwait() -> Phase {
        let (before, continuation) = state.withLock { state -> (Phase, UnsafeContinuation<any Sendable, any Error>?) in
            let before = state.phase
            switch before {
            case .queued: state.phase = .cancelled
            case .running: state.phase = .orphaned
            case .orphaned, .finished, .cancelled: return (before, nil)
            }
            defer { state.continuation = nil }
            return (before, state.continuation)
        }
        continuation?.resume(throwing: CancellationError())
        return before
    }

    var phase: Phase { state.withLock { $0.phase } }

    /// The worker running it and since when (monotonic ns), while it runs or runs orphaned.
    var running: (worker: String, since: UInt64, orphaned: Bool)? {
        state.withLock { state in
            switch state.phase {
            case .running: (state.worker ?? "?", state.startedAt, false)
            case .orphaned: (state.worker ?? "?", state.startedAt, true)
            default: nil
            }
        }
    }
}

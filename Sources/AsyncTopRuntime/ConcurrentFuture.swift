import AsyncTopModel
import Foundation

/// The result of a coroutine handed to a loop from another thread, for threads that block:
/// Python's `concurrent.futures.Future` as `run_coroutine_threadsafe` returns it.
public final class ConcurrentFuture<T: Sendable>: TaskCompletionObserver, @unchecked Sendable {
    let box: SpawnedTask
    private let lock = ConditionLock()
    private var finished = false

    init(box: SpawnedTask) {
        self.box = box
        // Told on the finishing task's own thread: not a done callback (those run on the
        // loop, which may stop before it runs them), nor a task of the global pool (whose
        // few threads may all be blocked, by callers like this one).
        if !box.observe(self, index: 0) { taskFinished(0, .returned) }
    }

    func taskFinished(_ index: Int, _ outcome: TaskOutcome) {
        lock.withLock {
            finished = true
            lock.broadcast()
        }
    }

    /// The loop task's id.
    public var taskID: TaskID { box.id }

    /// True once the coroutine finished (returned, threw, or was cancelled).
    public var done: Bool { box.result != nil }

    /// Blocks the calling thread until the coroutine finished, at most `timeout` seconds
    /// (nil: no limit), and returns its result.
    ///
    /// - Throws: the coroutine's error (`CancellationError` when it was cancelled);
    ///   `LoopError.timedOut` when the time ran out (the coroutine goes on);
    ///   `LoopError.invalidState` when called on the loop's own thread before the end,
    ///   which would block the loop forever.
    public func result(timeout: Double? = nil) throws -> T {
        if box.result != nil { return try box.retrieve()!.get() as! T }
        if box.loop?.isOnLoopThread == true {
            throw LoopError.invalidState("result(timeout:) on the loop's own thread would block the loop")
        }
        let limit = try timeout.map(checkedDuration)
        let deadline = limit.map { MonotonicClock.now() &+ UInt64($0 * 1e9) }
        let ended: Bool = lock.withLock {
            while !finished {
                guard let deadline else { lock.wait(); continue }
                if MonotonicClock.now() >= deadline { break }
                lock.wait(untilMonotonic: deadline)
            }
            return finished
        }
        guard ended, let result = box.retrieve() else { throw LoopError.timedOut(limit ?? 0) }
        return try result.get() as! T
    }

    /// Cancels the coroutine's task, recording this thread as the requester. Returns false
    /// when it already finished.
    @discardableResult
    public func cancel(message: String? = nil) -> Bool {
        let requester: CancelRequester = if let loop = EventLoop.current, loop.currentID != 0 {
            .task(loop.currentID)
        } else {
            .thread(currentThreadName())
        }
        return box.cancel(message: message, requester: requester)
    }
}

extension EventLoop {
    /// Spawns `body` on this loop from any thread and returns a future a thread can block
    /// on: asyncio's `run_coroutine_threadsafe`.
    ///
    /// - Throws: `LoopError.closed` when the loop is closed.
    public func runCoroutineThreadsafe<T: Sendable>(
        name: String? = nil, file: StaticString = #fileID, line: UInt = #line,
        _ body: @escaping @Sendable () async throws -> T
    ) throws -> ConcurrentFuture<T> {
        let handle = try spawnTask(name: name, origin: .spawned, file: file, line: line, body)
        return ConcurrentFuture(box: handle.box)
    }
}

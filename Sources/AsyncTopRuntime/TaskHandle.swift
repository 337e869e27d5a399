import AsyncTopModel

/// A task spawned on an event loop: asyncio's `Task` object.
///
/// Await ``value`` for its result. Cancelling the awaiting task cancels this one too, as
/// awaiting an asyncio task does; use `shield` to prevent that.
///
/// A handle stays safe to use after its loop closed, or went away (a handle returned out
/// of ``EventLoop/run(name:debug:instrumented:retention:monitor:reportLeftovers:main:)``):
/// a finished task keeps its result; ``cancel(message:)`` returns false;
/// ``addDoneCallback(_:)`` of a finished task calls back at once on the calling thread;
/// a task that had not finished when its loop closed never will: awaiting it throws
/// `LoopError.closed`, and its done callbacks are never called.
public struct TaskHandle<T: Sendable>: Sendable, Hashable {
    let box: SpawnedTask

    init(box: SpawnedTask) { self.box = box }

    /// The runtime's task id (the same number the dashboard shows).
    public var id: TaskID { box.id }

    /// The name given to `spawn`, or `Task-<id>`.
    public var name: String { box.name ?? "Task-\(box.id)" }

    /// True once the task finished: returned, threw, or was cancelled.
    public var done: Bool { box.result != nil }

    /// True when the task ended by cancellation.
    public var cancelled: Bool {
        if case .failure(let error)? = box.result { return error is CancellationError }
        return false
    }

    /// The task's result. Suspends until it finishes; rethrows its error.
    ///
    /// - Throws: the task's error, or `CancellationError` when it was cancelled;
    ///   `LoopError.closed` when its loop closed before it finished.
    public var value: T {
        get async throws {
            if let result = box.retrieve() { return try result.get() as! T }
            // The awaiting task's loop, which may be another one, or none.
            let loop = EventLoop.current
            let awaiter = loop?.noteWait(.task(box.id))
            defer { loop?.clearWait() }
            let result = await withTaskCancellationHandler {
                await box.waitForResult()
            } onCancel: {
                _ = box.cancel(message: nil, requester: awaiter.map(CancelRequester.task) ?? .thread(currentThreadName()))
            }
            if case .failure(let error) = result, error is CancellationError {
                loop?.noteCancelDelivered(in: "await task \(box.id)")
            }
            return try result.get() as! T
        }
    }

    /// The result of a finished task, as asyncio's `Task.result()`.
    ///
    /// - Throws: `LoopError.invalidState` while the task has not finished; otherwise the
    ///   task's own error (`CancellationError` when it was cancelled).
    public func result() throws -> T {
        guard let result = box.retrieve() else { throw LoopError.invalidState("result of task \(name), which has not finished") }
        return try result.get() as! T
    }

    /// The error of a finished task, or nil when it returned normally, as asyncio's `Task.exception()`.
    ///
    /// - Throws: `LoopError.invalidState` while it has not finished; `CancellationError` when it was cancelled.
    public func exception() throws -> (any Error)? {
        guard let result = box.retrieve() else { throw LoopError.invalidState("exception of task \(name), which has not finished") }
        switch result {
        case .success: return nil
        case .failure(let error as CancellationError): throw error
        case .failure(let error): return error
        }
    }

    /// Asks the task to stop, recording who asked and why.
    ///
    /// - Returns: false when the task already finished (asyncio's `cancel()`) or its loop
    ///   is closed; true otherwise.
    @discardableResult
    public func cancel(message: String? = nil) -> Bool {
        box.cancel(message: message, requester: EventLoop.currentRequester())
    }

    /// Calls `callback` on the loop once the task finished (in the next loop iteration
    /// when it already has). When the loop is closed: at once on the calling thread for a
    /// finished task; never for a task that did not finish, as it never will.
    public func addDoneCallback(_ callback: @escaping @Sendable (TaskHandle<T>) -> Void) {
        let handle = self
        switch box.addCallback({ callback(handle) }) {
        case .added, .abandoned:
            return
        case .finished:
            if let loop = box.loop, !loop.isClosedNow {
                loop.callSoonAnywhere { callback(handle) }
            } else {
                callback(handle)
            }
        }
    }

    public static func == (a: Self, b: Self) -> Bool { a.box === b.box }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(box)) }
}

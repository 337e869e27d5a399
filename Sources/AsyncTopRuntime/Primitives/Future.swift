import AsyncTopSync
import AsyncTopModel

/// A result that is set once and awaited by any number of tasks: asyncio's `Future`.
///
/// Unlike asyncio, cancelling a task that awaits the future does not cancel the future:
/// other tasks may await it too. Only ``cancel(message:)`` does.
public final class Future<Value: Sendable>: Sendable, DescribesWait, ResourceReporter {
    /// The name shown for tasks waiting on it.
    public let name: String?
    let id = ResourceID.next()
    /// "Future <name>", as waits and errors say it.
    let title: String
    /// The loop it belongs to: the one it was made on, if any.
    let loop: EventLoop?

    struct State {
        var result: Result<Value, any Error>?
        var cancelMessage: String?
        var waiters = WaiterQueue()
        /// Done callbacks, each with a token of the waiters' sequence: awaiting tasks and
        /// callbacks are called back in the order they came, as asyncio's are.
        var callbacks: [(token: UInt64, callback: @Sendable (Future<Value>) -> Void)] = []
    }
    let state = Locked(State())

    /// Creates a pending future on the current loop.
    public init(name: String? = nil) {
        self.name = name
        self.title = name.map { "Future \($0)" } ?? "Future #\(id)"
        self.loop = EventLoop.current
        ResourceRegistry.shared.add(self)
    }


    var waitTarget: WaitTarget { .resource(kind: "Future", id: id, name: name) }

    var resourceInfo: ResourceInfo {
        state.withLock { state in
            let detail: String = switch state.result {
            case nil: "pending"
            case .success?: "done"
            case .failure(is CancellationError)?: "cancelled"
            case .failure?: "failed"
            }
            return ResourceInfo(id: id, kind: "Future", name: name, waiters: state.waiters.tasks, detail: detail)
        }
    }

    /// True once a result or error was set, or the future was cancelled.
    public var done: Bool { state.withLock { $0.result != nil } }

    /// True when the future was cancelled.
    public var cancelled: Bool {
        state.withLock { if case .failure(let error)? = $0.result { error is CancellationError } else { false } }
    }

    /// Sets the result and wakes every awaiting task.
    ///
    /// - Throws: `ToolkitError.futureAlreadyDone` when the future is already done.
    public func setResult(_ value: Value) throws { try finish(.success(value), message: nil) }

    /// Sets an error: every awaiting task throws it.
    ///
    /// - Throws: `ToolkitError.futureAlreadyDone` when the future is already done.
    public func setException(_ error: any Error) throws { try finish(.failure(error), message: nil) }

    /// Cancels the future: awaiting tasks throw `CancellationError`.
    ///
    /// - Returns: false when it was already done.
    @discardableResult
    public func cancel(message: String? = nil) -> Bool {
        (try? finish(.failure(CancellationError()), message: message)) != nil
    }

    /// The cancel message, once cancelled with one.
    public var cancelMessage: String? { state.withLock { $0.cancelMessage } }

    private func finish(_ result: Result<Value, any Error>, message: String?) throws {
        let (waiters, callbacks) = try state.withLock { state throws in
            guard state.result == nil else { throw ToolkitError.futureAlreadyDone(title) }
            state.result = result
            state.cancelMessage = message
            defer { state.callbacks = [] }
            return (state.waiters.removeAll(), state.callbacks)
        }
        // Both in the order they came (by token).
        var next = 0
        for waiter in waiters {
            while next < callbacks.count, callbacks[next].token < waiter.token {
                schedule(callbacks[next].callback)
                next += 1
            }
            waiter.continuation.resume()
        }
        for (_, callback) in callbacks[next...] { schedule(callback) }
    }

    private func schedule(_ callback: @escaping @Sendable (Future<Value>) -> Void) {
        if let loop, !loop.isClosedNow { loop.callSoonAnywhere { callback(self) } } else { callback(self) }
    }

    /// Calls `callback` on the loop once the future is done (soon, when it already is), in
    /// order with the other callbacks and the tasks awaiting the future.
    public func addDoneCallback(_ callback: @escaping @Sendable (Future<Value>) -> Void) {
        let done = state.withLock { state -> Bool in
            if state.result != nil { return true }
            state.callbacks.append((state.waiters.makeToken(), callback))
            return false
        }
        if done { schedule(callback) }
    }

    /// The result of a done future, as asyncio's `Future.result()`.
    ///
    /// - Throws: `LoopError.invalidState` while pending; the error set; `CancellationError` when cancelled.
    public func result() throws -> Value {
        guard let result = state.withLock({ $0.result }) else { throw LoopError.invalidState("result of \(title), which is pending") }
        return try result.get()
    }

    /// The error of a done future, or nil when it has a result, as `Future.exception()`.
    ///
    /// - Throws: `LoopError.invalidState` while pending; `CancellationError` when cancelled.
    public func exception() throws -> (any Error)? {
        guard let result = state.withLock({ $0.result }) else { throw LoopError.invalidState("exception of \(title), which is pending") }
        switch result {
        case .success: return nil
        case .failure(let error as CancellationError): throw error
        case .failure(let error): return error
        }
    }

    /// Waits for the result.
    ///
    /// - Throws: the error set; `CancellationError` when the future is cancelled or as soon as
    ///   the awaiting task is (also after the result came, if the task had not run again); `LoopError.closed` when the future's loop is closed and it is pending.
    public var value: Value {
        get async throws {
            let me = runningTaskID()
            let token: UInt64? = try state.withLock { state throws in
                if state.result != nil { return nil }
                if let loop, loop.isClosedNow { throw LoopError.closed }
                return state.waiters.makeToken()
            }
            if let token {
                let loop = EventLoop.current
                try await park(guardedBy: state, visibleAs: self, on: loop, delivered: title) { continuation in
                    state.withLock { state in
                        if state.result != nil { return .success(()) }
                        return state.waiters.enqueue(continuation, token: token, task: me)
                    }
                } onCancel: { [self] in
                    state.withLock { $0.waiters.remove(token) }?.continuation.resume(throwing: CancellationError())
                }
                // Cancelled after the result came but before this task ran again: the cancel
                // wins, as in asyncio (the future keeps its result for other awaiters).
                if Task.isCancelled {
                    loop?.noteCancelDelivered(in: title)
                    throw CancellationError()
                }
            }
            return try state.withLock { $0.result! }.get()
        }
    }
}

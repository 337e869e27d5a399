import AsyncTopModel

/// What became of a request to cancel a task by id.
public enum CancelRequestResult: String, Sendable, Equatable {
    /// The task was asked to stop.
    case requested
    /// The task had already finished.
    case alreadyFinished
    /// No such task is known (never seen, or dropped by retention).
    case notFound
    /// A native child task (`async let`, group child): only its parent's cancellation reaches it.
    case notCancellable
    /// The loop is stuck in a long step; the request waits in its inbox and is carried out
    /// as soon as the step returns.
    case queued
}

extension EventLoop {
    /// Cancels a task by id, as the dashboard and attached clients do, recording `requester`
    /// as its provenance. Safe from any thread.
    ///
    /// - Parameter timeout: how long to wait for a busy loop before answering `.queued`.
    @discardableResult
    public func cancel(task id: TaskID, message: String? = nil, requester: CancelRequester = .dashboard,
                       timeout: Double = 0.25) -> CancelRequestResult {
        if isOnLoopThread { return cancelOnLoop(id, message: message, requester: requester) }
        let box = ResultBox<CancelRequestResult>()
        handOver(.callback(LoopCallback { [unowned self] in
            box.fill(self.cancelOnLoop(id, message: message, requester: requester))
        }))
        return box.wait(timeout: timeout) ?? .queued
    }

    private func cancelOnLoop(_ id: TaskID, message: String?, requester: CancelRequester) -> CancelRequestResult {
        guard let slot = registry.slot(of: id) else { return .notFound }
        if registry[slot].isFinished { return .alreadyFinished }
        guard let box = registry[slot].box else { return .notCancellable }
        return box.cancel(message: message, requester: requester) ? .requested : .alreadyFinished
    }
}

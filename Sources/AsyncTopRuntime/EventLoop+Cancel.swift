import AsyncTopModel

/// What became of a request to cancel a task by id (the model's ``CancelAnswer``).
public typealias CancelRequestResult = CancelAnswer

extension EventLoop {
    /// Cancels a task by id, as the dashboard and attached clients do, recording `requester`
    /// as its provenance. Safe from any thread.
    ///
    /// - Parameter timeout: how long to wait for a busy loop before answering `.queued`.
    @discardableResult
    public func cancel(task id: TaskID, message: String? = nil, requester: CancelRequester = .dashboard,
                       timeout: Double = 0.25) -> CancelRequestResult {
        if isOnLoopThread { return cancelOnLoop(id, message: message, requester: requester) }
        let box = LoopReply<CancelRequestResult>()
        handOver(.callback(LoopCallback { [unowned self] in
            box.fill(self.cancelOnLoop(id, message: message, requester: requester))
        }))
        return box.value(within: timeout) ?? .queued
    }

    private func cancelOnLoop(_ id: TaskID, message: String?, requester: CancelRequester) -> CancelRequestResult {
        guard let slot = registry.slot(of: id) else { return .notFound }
        if registry[slot].isFinished { return .alreadyFinished }
        guard let box = registry[slot].box else { return .notCancellable }
        return box.cancel(message: message, requester: requester) ? .requested : .alreadyFinished
    }
}

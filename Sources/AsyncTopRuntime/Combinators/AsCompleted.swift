import AsyncTopModel

/// The tasks in the order they end: asyncio's `as_completed`. Each element is a task that
/// has finished; `try await task.value` does not suspend.
///
/// - Parameter timeout: seconds for the whole iteration; past it, `next()` throws
///   ``TimeoutError`` (the tasks are not cancelled).
/// - Throws: `ToolkitError.negativeTimeout`; `LoopError.notOnLoop` for a time-out off a loop.
public func asCompleted<T: Sendable>(_ tasks: [TaskHandle<T>], timeout: Double? = nil) throws -> AsCompletedSequence<T> {
    let seconds = try checkedTimeout(timeout)
    let waiter = TaskSetWaiter(label: "as_completed of \(tasks.count)", count: tasks.count, keepsOrder: true)
    waiter.watch(tasks.map(\.box))
    if let seconds {
        guard let loop = EventLoop.current else { throw LoopError.notOnLoop("asCompleted with a time-out") }
        try waiter.startTimer(seconds, on: loop) { $0.expire(wake: true) }
    }
    return AsCompletedSequence(tasks: tasks, waiter: waiter, timeout: seconds)
}

/// The sequence ``asCompleted(_:timeout:)`` returns.
public struct AsCompletedSequence<T: Sendable>: AsyncSequence, Sendable {
    public typealias Element = TaskHandle<T>
    let tasks: [TaskHandle<T>]
    let waiter: TaskSetWaiter
    let timeout: Double?

    public func makeAsyncIterator() -> Iterator { Iterator(sequence: self) }

    /// Yields the next task to finish.
    public struct Iterator: AsyncIteratorProtocol {
        let sequence: AsCompletedSequence
        var yielded = 0

        /// The next task to end, or nil after the last.
        ///
        /// - Throws: ``TimeoutError`` past the time-out; `CancellationError`.
        public mutating func next() async throws -> TaskHandle<T>? {
            guard yielded < sequence.tasks.count else {
                sequence.waiter.cancelTimer()
                return nil
            }
            let waiter = sequence.waiter
            let loop = EventLoop.current
            loop?.noteWait(.subject(waiter))
            defer { loop?.clearWait() }
            do {
                try await waiter.wait(for: .more(than: yielded))
            } catch {
                loop?.noteCancelDelivered(in: waiter.label)
                throw error
            }
            let index: Int? = waiter.state.withLock { state in
                state.completed.count > yielded ? state.completed[yielded] : nil
            }
            guard let index else { throw TimeoutError(seconds: sequence.timeout ?? 0) }
            yielded += 1
            if yielded == sequence.tasks.count { waiter.cancelTimer() }
            return sequence.tasks[index]
        }
    }
}

import AsyncTopModel

/// The tasks in the order they end: asyncio's `as_completed`. Each element is a task that
/// has finished; `try await task.value` does not suspend.
///
/// It throws only while iterating, as asyncio's iterator does: a negative time-out, or a
/// time-out off a loop, is thrown by the first `next()`.
///
/// - Parameter timeout: seconds for the whole iteration, counted from this call; past it,
///   `next()` throws ``TimeoutError`` (the tasks are not cancelled).
public func asCompleted<T: Sendable>(_ tasks: [TaskHandle<T>], timeout: Double? = nil) -> AsCompletedSequence<T> {
    let waiter = TaskSetWaiter(label: "as_completed of \(tasks.count)", count: tasks.count, keepsOrder: true)
    waiter.watch(tasks.map(\.box))
    var problem: (any Error)?
    do {
        if let seconds = try checkedTimeout(timeout) {
            guard let loop = EventLoop.current else { throw LoopError.notOnLoop("asCompleted with a time-out") }
            try waiter.startTimer(seconds, on: loop) { $0.expire(wake: true) }
        }
    } catch {
        problem = error
    }
    return AsCompletedSequence(tasks: tasks, waiter: waiter, timeout: timeout, problem: problem)
}

/// Runs each closure as a task of the current loop and yields the tasks in the order they
/// end: ``asCompleted(_:timeout:)`` for closures. The tasks are named "asCompleted[i]" after
/// the call site unless `name` is given.
///
/// - Throws: `LoopError.notOnLoop` off a loop; `LoopError.closed`.
public func asCompleted<T: Sendable>(
    name: String? = nil, timeout: Double? = nil, file: StaticString = #fileID, line: UInt = #line,
    _ bodies: [@Sendable () async throws -> T]
) throws -> AsCompletedSequence<T> {
    asCompleted(try spawnAll(bodies, combinator: "asCompleted", name: name, file: file, line: line), timeout: timeout)
}

/// ``asCompleted(name:timeout:file:line:_:)-([@Sendable () async throws -> T])`` with the
/// closures written out: `for try await task in try asCompleted({ … }, { … })`.
public func asCompleted<T: Sendable>(
    name: String? = nil, timeout: Double? = nil, file: StaticString = #fileID, line: UInt = #line,
    _ bodies: (@Sendable () async throws -> T)...
) throws -> AsCompletedSequence<T> {
    try asCompleted(name: name, timeout: timeout, file: file, line: line, bodies)
}

/// The sequence ``asCompleted(_:timeout:)`` returns.
public struct AsCompletedSequence<T: Sendable>: AsyncSequence, Sendable {
    public typealias Element = TaskHandle<T>
    let tasks: [TaskHandle<T>]
    let waiter: TaskSetWaiter
    let timeout: Double?
    /// What the first `next()` throws: a bad time-out.
    let problem: (any Error)?

    public func makeAsyncIterator() -> Iterator { Iterator(sequence: self) }

    /// Yields the next task to finish.
    public struct Iterator: AsyncIteratorProtocol {
        let sequence: AsCompletedSequence
        var yielded = 0

        /// The next task to end, or nil after the last.
        ///
        /// - Throws: ``TimeoutError`` past the time-out; `CancellationError`;
        ///   `ToolkitError.negativeTimeout`, `LoopError.notOnLoop` for a time-out off a loop.
        public mutating func next() async throws -> TaskHandle<T>? {
            if let problem = sequence.problem { throw problem }
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

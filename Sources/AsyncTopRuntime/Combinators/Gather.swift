import AsyncTopModel

/// Waits for every task and returns their results in argument order: asyncio's `gather`.
///
/// The first task to fail (or to be cancelled) makes the gather throw its error at once;
/// the others keep running. Cancelling the awaiting task cancels every task, recording
/// "cancel of gather in task N" as their provenance.
///
/// - Throws: the first error of a task, in completion order; `CancellationError`.
public func gather<T: Sendable>(_ tasks: [TaskHandle<T>]) async throws -> [T] {
    try await gatherResults(tasks, returnExceptions: false).map { try $0.get() }
}

/// Waits for every task: asyncio's `gather`. The variadic form of ``gather(_:)-([TaskHandle<T>])``.
public func gather<T: Sendable>(_ tasks: TaskHandle<T>...) async throws -> [T] {
    try await gather(tasks)
}

/// Waits for every task and returns their outcomes in argument order: asyncio's `gather`
/// with `return_exceptions`.
///
/// With `returnExceptions: true` errors (a cancelled task's `CancellationError` included)
/// are returned in the list; with `false` the first one in completion order is thrown at
/// once, the others keep running.
///
/// - Throws: with `returnExceptions: false`, the first error; `CancellationError` when the
///   awaiting task is cancelled (every task is then cancelled too).
public func gather<T: Sendable>(_ tasks: [TaskHandle<T>], returnExceptions: Bool) async throws -> [Result<T, any Error>] {
    try await gatherResults(tasks, returnExceptions: returnExceptions)
}

func gatherResults<T: Sendable>(_ tasks: [TaskHandle<T>], returnExceptions: Bool) async throws -> [Result<T, any Error>] {
    if !tasks.allSatisfy(\.done) {
        let waiter = TaskSetWaiter(label: "gather of \(tasks.count)", count: tasks.count)
        waiter.watch(tasks.map(\.box))
        let loop = EventLoop.current
        let me = loop?.noteWait(.subject(waiter))
        defer { loop?.clearWait() }
        do {
            try await waiter.wait(for: returnExceptions ? .all : .allOrError)
        } catch {
            let requester = CancelRequester.combinator("cancel of gather", task: me)
            for task in tasks { _ = task.box.cancel(message: nil, requester: requester) }
            loop?.noteCancelDelivered(in: waiter.label)
            throw error
        }
        if !returnExceptions, let first = waiter.state.withLock({ $0.firstError }) {
            if case .failure(let error) = tasks[first].typedResult { throw error }
        }
    }
    var results: [Result<T, any Error>] = []
    results.reserveCapacity(tasks.count)
    for task in tasks {
        let result = task.typedResult
        if !returnExceptions, case .failure(let error) = result { throw error }
        results.append(result)
    }
    return results
}

import AsyncTopModel

/// Runs a blocking call on a thread pool and awaits its result: asyncio's
/// `loop.run_in_executor(executor, fn)`.
///
/// Cancelling the awaiting task ends the await at once with `CancellationError`. A call
/// still queued is removed; one already running cannot be stopped: it runs on, shown as
/// orphaned in the snapshot, and its result is dropped.
///
/// - Parameter label: what the dashboard shows for the call.
/// - Throws: the call's error; `ExecutorError.shutDown` when the pool takes no more work.
public func runInExecutor<T: Sendable>(
    _ executor: ThreadPoolExecutor, label: String? = nil, _ call: @escaping @Sendable () throws -> T
) async throws -> T {
    let loop = EventLoop.current
    let awaiting: TaskID? = loop.flatMap { $0.currentID == 0 ? nil : $0.currentID }
    let item = WorkItem(executorName: executor.name, label: label, awaitingTask: awaiting) {
        Result { try call() as any Sendable }
    }
    try executor.submit(item)
    return try await awaitWorkItem(item, on: loop) { executor.dequeue(item) } as! T
}

/// Awaits a submitted item as a visible wait. Cancelling the awaiting task ends the await;
/// `dequeue` runs when the item was still queued.
func awaitWorkItem(_ item: WorkItem, on loop: EventLoop?,
                   dequeue: @escaping @Sendable () -> Void) async throws -> any Sendable {
    loop?.noteWait(.subject(item))
    defer { loop?.clearWait() }
    do {
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { item.install($0) }
        } onCancel: {
            if item.cancelAwait() == .queued { dequeue() }
        }
    } catch let error as CancellationError {
        loop?.noteCancelDelivered(in: "\(item.executorName) item \(item.id)")
        throw error
    }
}

/// Runs a blocking call on the current loop's default thread pool: `asyncio.to_thread`.
///
/// The pool is made on first use, with `min(32, cores + 4)` workers, as Python's.
public func toThread<T: Sendable>(label: String? = nil, _ call: @escaping @Sendable () throws -> T) async throws -> T {
    guard let loop = EventLoop.current else { throw LoopError.notOnLoop("toThread") }
    return try await runInExecutor(loop.defaultExecutor, label: label, call)
}

import AsyncTopModel

/// Waits for a task for at most `timeout` seconds: asyncio's `wait_for` (3.11+). At the
/// deadline the task is cancelled ("time-out of waitFor in task N"), and once it ended
/// cancelled, ``TimeoutError`` is thrown. Cancelling the awaiting task cancels the task too,
/// and waits for it to end, as awaiting it does in asyncio: its result is then the
/// outcome (`CancellationError`, unless it swallowed the cancellation and returned).
///
/// - Parameter timeout: nil waits without a deadline.
/// - Returns: the task's value (also when it swallowed the time-out's cancellation and returned).
/// - Throws: ``TimeoutError``; the task's error; `CancellationError`;
///   `ToolkitError.negativeTimeout`.
public func waitFor<T: Sendable>(_ task: TaskHandle<T>, timeout: Double?) async throws -> T {
    try await waitFor(task, timeout: try checkedTimeout(timeout), label: "waitFor")
}

/// Runs `body` as a task of the current loop for at most `timeout` seconds:
/// `asyncio.wait_for(coro(), timeout)`. The task is named `name`, or "waitFor" by
/// default; it behaves as ``waitFor(_:timeout:)`` says.
///
/// - Throws: ``TimeoutError``; what `body` throws; `CancellationError`;
///   `ToolkitError.negativeTimeout`; `LoopError.notOnLoop` off a loop.
public func waitFor<T: Sendable>(
    timeout: Double?, name: String? = nil, file: StaticString = #fileID, line: UInt = #line,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let seconds = try checkedTimeout(timeout)
    let task = try spawn(name: name ?? "waitFor", file: file, line: line, body)
    return try await waitFor(task, timeout: seconds, label: "waitFor")
}

/// Runs `body` as a task for at most `seconds`: asyncio's `async with timeout(seconds)`.
/// At the deadline the task running `body` is cancelled ("time-out of withTimeout in task
/// N") and ``TimeoutError`` is thrown once it ended.
///
/// Swift cannot take back a task's cancellation, so `body` runs in a task of its own
/// (named `name`, "withTimeout" by default) rather than in the calling task.
///
/// - Throws: ``TimeoutError``; what `body` throws; `CancellationError`;
///   `ToolkitError.negativeTimeout`; `LoopError.notOnLoop` off a loop.
public func withTimeout<T: Sendable>(
    _ seconds: Double?, name: String? = nil, file: StaticString = #fileID, line: UInt = #line,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let seconds = try checkedTimeout(seconds)
    let task = try spawn(name: name ?? "withTimeout", file: file, line: line, body)
    return try await waitFor(task, timeout: seconds, label: "withTimeout")
}

func waitFor<T: Sendable>(_ task: TaskHandle<T>, timeout seconds: Double?, label: String) async throws -> T {
    if task.done { return try task.typedResult.get() }
    guard let seconds else { return try await task.value }
    let loop = EventLoop.current
    let me = loop?.noteWait(.task(task.id))
    defer { loop?.clearWait() }
    let waiter = TaskSetWaiter(label: "\(label) of task \(task.id)", count: 1)
    waiter.watch([task.box])
    let requester = CancelRequester.combinator("time-out of \(label)", task: me)
    task.box.noteDeadline(in: seconds)
    guard let taskLoop = task.box.loop else { return try await task.value }  // closed and gone: throws
    try waiter.startTimer(seconds, on: taskLoop) { waiter in
        waiter.expire(wake: false)
        _ = task.box.cancel(message: nil, requester: requester)
    }
    defer { waiter.cancelTimer() }
    do {
        try await waiter.wait(for: .all)
    } catch {
        _ = task.box.cancel(message: nil, requester: .combinator("cancel of \(label)", task: me))
        loop?.noteCancelDelivered(in: waiter.label)
        await waiter.waitUninterruptibly(for: .all)
        return try task.typedResult.get()
    }
    let result = task.typedResult
    if waiter.timedOut, case .failure(let error) = result, error is CancellationError {
        throw TimeoutError(seconds: seconds)
    }
    return try result.get()
}

import AsyncTopModel

/// Waits for a task for at most `timeout` seconds: asyncio's `wait_for` (3.11). The deadline
/// wakes the awaiting task: a task that ended by then (in the same iteration, say) gives its
/// result; otherwise it is cancelled ("time-out of waitFor in task N"), and once it ended
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
    return try await waitFor(task, timeout: seconds, label: "withTimeout", cancelsAtDeadline: true)
}

/// Waits for `task` for at most `seconds`. Two deadlines, as asyncio 3.11 has them: with
/// `cancelsAtDeadline`, as `asyncio.timeout` (``withTimeout(_:name:file:line:_:)``), the
/// timer's callback cancels the task; otherwise, as `wait_for`, it wakes the waiting task, which gives the task's result if it ended by
/// then (it may have fallen due in the same iteration) and cancels it only if not.
func waitFor<T: Sendable>(_ task: TaskHandle<T>, timeout seconds: Double?, label: String,
                          cancelsAtDeadline: Bool = false) async throws -> T {
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
        if cancelsAtDeadline {
            waiter.expire(wake: false)
            _ = task.box.cancel(message: nil, requester: requester)
        } else {
            waiter.expire(wake: true)
        }
    }
    defer { waiter.cancelTimer() }
    do {
        try await waiter.wait(for: .all)
    } catch {
        _ = task.box.cancel(message: nil, requester: .combinator("cancel of \(label)", task: me))
        loop?.noteCancelDelivered(in: waiter.label)
        await waitForEnd(of: task, label: waiter.label)
        return try task.typedResult.get()
    }
    if !task.done {
        // `wait_for`'s deadline woke this task before the task ended: cancel it, and return
        // only once it ended (it may swallow the cancellation and return a value).
        _ = task.box.cancel(message: nil, requester: requester)
        await waitForEnd(of: task, label: waiter.label)
    }
    let result = task.typedResult
    if waiter.timedOut, case .failure(let error) = result, error is CancellationError {
        throw TimeoutError(seconds: seconds)
    }
    return try result.get()
}

/// Waits for `task` to end, whatever happens to the waiting task meanwhile.
private func waitForEnd<T: Sendable>(of task: TaskHandle<T>, label: String) async {
    let ending = TaskSetWaiter(label: label, count: 1)
    ending.watch([task.box])
    await ending.waitUninterruptibly(for: .all)
}

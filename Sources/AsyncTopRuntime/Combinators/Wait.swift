import AsyncTopModel

/// When ``wait(_:returnWhen:timeout:)`` returns: asyncio's `return_when`.
public enum ReturnWhen: Sendable, Hashable {
    /// Every task ended (`ALL_COMPLETED`).
    case allCompleted
    /// Any task ended (`FIRST_COMPLETED`).
    case firstCompleted
    /// Any task failed with an error other than cancellation, or all ended (`FIRST_EXCEPTION`).
    case firstException
}

/// Waits for the tasks as `returnWhen` says, or until the time-out: asyncio's `wait`. It
/// never cancels a task, not even when the awaiting task is cancelled.
///
/// - Returns: the tasks that ended and those still pending.
/// - Throws: `ToolkitError.emptyWait` for no task; `ToolkitError.negativeTimeout`;
///   `CancellationError` when the awaiting task is cancelled.
@discardableResult
public func wait<T: Sendable>(
    _ tasks: [TaskHandle<T>], returnWhen: ReturnWhen = .allCompleted, timeout: Double? = nil
) async throws -> (done: Set<TaskHandle<T>>, pending: Set<TaskHandle<T>>) {
    guard !tasks.isEmpty else { throw ToolkitError.emptyWait }
    let seconds = try checkedTimeout(timeout)
    let waiter = TaskSetWaiter(label: "wait for \(tasks.count)", count: tasks.count)
    waiter.watch(tasks.map(\.box))
    let loop = EventLoop.current
    if let seconds {
        guard let loop else { throw LoopError.notOnLoop("wait with a time-out") }
        try waiter.startTimer(seconds, on: loop) { $0.expire(wake: true) }
    }
    defer { waiter.cancelTimer() }
    loop?.noteWait(.subject(waiter))
    defer { loop?.clearWait() }
    do {
        switch returnWhen {
        case .allCompleted: try await waiter.wait(for: .all)
        case .firstCompleted: try await waiter.wait(for: .more(than: 0))
        case .firstException: try await waiter.wait(for: .allOrFailure)
        }
    } catch {
        loop?.noteCancelDelivered(in: waiter.label)
        throw error
    }
    var done: Set<TaskHandle<T>> = [], pending: Set<TaskHandle<T>> = []
    for task in tasks {
        if task.done { done.insert(task) } else { pending.insert(task) }
    }
    return (done, pending)
}

/// Runs each closure as a task of the current loop and waits for them as `returnWhen`
/// says: ``wait(_:returnWhen:timeout:)`` for closures. The tasks are named "wait[i]" after
/// the call site ("wait[0]@Main.swift:12") unless `name` is given; the pending ones run on.
///
/// - Throws: as ``wait(_:returnWhen:timeout:)``; `LoopError.notOnLoop` off a loop.
@discardableResult
public func wait<T: Sendable>(
    name: String? = nil, returnWhen: ReturnWhen = .allCompleted, timeout: Double? = nil,
    file: StaticString = #fileID, line: UInt = #line, _ bodies: [@Sendable () async throws -> T]
) async throws -> (done: Set<TaskHandle<T>>, pending: Set<TaskHandle<T>>) {
    guard !bodies.isEmpty else { throw ToolkitError.emptyWait }
    _ = try checkedTimeout(timeout)
    return try await wait(spawnAll(bodies, combinator: "wait", name: name, file: file, line: line),
                          returnWhen: returnWhen, timeout: timeout)
}

/// ``wait(name:returnWhen:timeout:file:line:_:)-([@Sendable () async throws -> T])`` with
/// the closures written out: `wait(returnWhen: .firstCompleted, { … }, { … })`.
@discardableResult
public func wait<T: Sendable>(
    name: String? = nil, returnWhen: ReturnWhen = .allCompleted, timeout: Double? = nil,
    file: StaticString = #fileID, line: UInt = #line, _ bodies: (@Sendable () async throws -> T)...
) async throws -> (done: Set<TaskHandle<T>>, pending: Set<TaskHandle<T>>) {
    try await wait(name: name, returnWhen: returnWhen, timeout: timeout, file: file, line: line, bodies)
}

import AsyncTopModel

/// Awaits a task without passing on the awaiting task's cancellation: asyncio's `shield`.
///
/// When the awaiting task is cancelled, this throws `CancellationError` at once and the
/// task runs on; the awaiting task's record says "shield: outer N cancelled, inner M runs on",
/// and the task's record names the tasks that shielded it (``TaskInfo/shieldedBy``).
///
/// - Throws: the task's error; `CancellationError` when the awaiting task is cancelled.
public func shield<T: Sendable>(_ task: TaskHandle<T>) async throws -> T {
    if task.done { return try task.typedResult.get() }
    let waiter = TaskSetWaiter(label: "shield of task \(task.id)", count: 1)
    waiter.watch([task.box])
    let loop = EventLoop.current
    let me = loop?.noteWait(.task(task.id))
    defer { loop?.clearWait() }
    if let me { task.box.noteShielded(by: me) }
    do {
        try await waiter.wait(for: .all)
    } catch {
        let outer = me.map { "outer \($0)" } ?? "outer"
        loop?.noteCancelDelivered(in: "shield: \(outer) cancelled, inner \(task.id) runs on")
        throw error
    }
    return try task.typedResult.get()
}

/// Runs `body` as a task and awaits it without passing on cancellation: `shield(coro)`.
///
/// - Throws: what `body` throws; `CancellationError` when the awaiting task is cancelled
///   (the task runs on); `LoopError.notOnLoop` off a loop.
public func shield<T: Sendable>(
    name: String? = nil, file: StaticString = #fileID, line: UInt = #line,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await shield(try spawn(name: name ?? "shielded", file: file, line: line, body))
}

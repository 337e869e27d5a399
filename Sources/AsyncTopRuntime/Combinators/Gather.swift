import AsyncTopModel

/// Waits for every task and returns their results in argument order: asyncio's `gather`.
///
/// The first task to fail (or to be cancelled) makes the gather throw its error at once;
/// the others keep running. Cancelling the awaiting task cancels every task, recording
/// "cancel of gather in task N" as their provenance, and the gather throws
/// `CancellationError` once the first of them ended cancelled, as asyncio's does: what that
/// task (and the tasks it gathers in turn) did on its way out has been done by then.
///
/// - Throws: the first error of a task, in completion order; `CancellationError`.
@discardableResult
public func gather<T: Sendable>(_ tasks: [TaskHandle<T>]) async throws -> [T] {
    try await gatherResults(tasks, returnExceptions: false).map { try $0.get() }
}

/// Waits for every task: asyncio's `gather`. The variadic form of ``gather(_:)-([TaskHandle<T>])``.
@discardableResult
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
///   awaiting task is cancelled (every task is then cancelled too, and it is thrown once
///   they all ended; without `returnExceptions`, once the first one ended).
@discardableResult
public func gather<T: Sendable>(_ tasks: [TaskHandle<T>], returnExceptions: Bool) async throws -> [Result<T, any Error>] {
    try await gatherResults(tasks, returnExceptions: returnExceptions)
}

/// Runs each closure as a task of the current loop and waits for them all: asyncio's
/// `gather(coro(), coro())`. The results come as a tuple in argument order, each with its
/// own type:
///
/// ```swift
/// let (user, orders) = try await gather({ try await fetchUser(id) }, { try await fetchOrders(id) })
/// ```
///
/// The tasks are named "gather[i]" after the call site ("gather[0]@Main.swift:12") unless
/// `name` is given ("name[0]"), and behave as ``gather(_:)-([TaskHandle<T>])`` says. Two to
/// five closures; more, of one type, go in an array.
///
/// - Throws: the first error of a task, in completion order; `CancellationError`;
///   `LoopError.notOnLoop` off a loop.
@discardableResult
public func gather<A: Sendable, B: Sendable>(
    name: String? = nil, file: StaticString = #fileID, line: UInt = #line,
    _ a: @escaping @Sendable () async throws -> A,
    _ b: @escaping @Sendable () async throws -> B
) async throws -> (A, B) {
    var namer = ChildNamer(combinator: "gather", name: name, file: file, line: line)
    let aTask = try spawn(name: namer.next(), file: file, line: line, a)
    let bTask = try spawn(name: namer.next(), file: file, line: line, b)
    try await gatherBoxes([aTask.box, bTask.box], returnExceptions: false)
    return (try aTask.typedResult.get(), try bTask.typedResult.get())
}

/// ``gather(name:file:line:_:_:)`` for 3 closures.
@discardableResult
public func gather<A: Sendable, B: Sendable, C: Sendable>(
    name: String? = nil, file: StaticString = #fileID, line: UInt = #line,
    _ a: @escaping @Sendable () async throws -> A,
    _ b: @escaping @Sendable () async throws -> B,
    _ c: @escaping @Sendable () async throws -> C
) async throws -> (A, B, C) {
    var namer = ChildNamer(combinator: "gather", name: name, file: file, line: line)
    let aTask = try spawn(name: namer.next(), file: file, line: line, a)
    let bTask = try spawn(name: namer.next(), file: file, line: line, b)
    let cTask = try spawn(name: namer.next(), file: file, line: line, c)
    try await gatherBoxes([aTask.box, bTask.box, cTask.box], returnExceptions: false)
    return (try aTask.typedResult.get(), try bTask.typedResult.get(), try cTask.typedResult.get())
}

/// ``gather(name:file:line:_:_:)`` for 4 closures.
@discardableResult
public func gather<A: Sendable, B: Sendable, C: Sendable, D: Sendable>(
    name: String? = nil, file: StaticString = #fileID, line: UInt = #line,
    _ a: @escaping @Sendable () async throws -> A,
    _ b: @escaping @Sendable () async throws -> B,
    _ c: @escaping @Sendable () async throws -> C,
    _ d: @escaping @Sendable () async throws -> D
) async throws -> (A, B, C, D) {
    var namer = ChildNamer(combinator: "gather", name: name, file: file, line: line)
    let aTask = try spawn(name: namer.next(), file: file, line: line, a)
    let bTask = try spawn(name: namer.next(), file: file, line: line, b)
    let cTask = try spawn(name: namer.next(), file: file, line: line, c)
    let dTask = try spawn(name: namer.next(), file: file, line: line, d)
    try await gatherBoxes([aTask.box, bTask.box, cTask.box, dTask.box], returnExceptions: false)
    return (try aTask.typedResult.get(), try bTask.typedResult.get(), try cTask.typedResult.get(), try dTask.typedResult.get())
}

/// ``gather(name:file:line:_:_:)`` for 5 closures.
@discardableResult
public func gather<A: Sendable, B: Sendable, C: Sendable, D: Sendable, E: Sendable>(
    name: String? = nil, file: StaticString = #fileID, line: UInt = #line,
    _ a: @escaping @Sendable () async throws -> A,
    _ b: @escaping @Sendable () async throws -> B,
    _ c: @escaping @Sendable () async throws -> C,
    _ d: @escaping @Sendable () async throws -> D,
    _ e: @escaping @Sendable () async throws -> E
) async throws -> (A, B, C, D, E) {
    var namer = ChildNamer(combinator: "gather", name: name, file: file, line: line)
    let aTask = try spawn(name: namer.next(), file: file, line: line, a)
    let bTask = try spawn(name: namer.next(), file: file, line: line, b)
    let cTask = try spawn(name: namer.next(), file: file, line: line, c)
    let dTask = try spawn(name: namer.next(), file: file, line: line, d)
    let eTask = try spawn(name: namer.next(), file: file, line: line, e)
    try await gatherBoxes([aTask.box, bTask.box, cTask.box, dTask.box, eTask.box], returnExceptions: false)
    return (try aTask.typedResult.get(), try bTask.typedResult.get(), try cTask.typedResult.get(), try dTask.typedResult.get(), try eTask.typedResult.get())
}

/// Runs each closure as a task of the current loop and waits for them all: asyncio's
/// `gather(*coros)`. Results in argument order; the tasks are named as
/// ``gather(name:file:line:_:_:)`` names them.
///
/// - Throws: the first error of a task, in completion order; `CancellationError`;
///   `LoopError.notOnLoop` off a loop.
@discardableResult
public func gather<T: Sendable>(
    name: String? = nil, file: StaticString = #fileID, line: UInt = #line,
    _ bodies: [@Sendable () async throws -> T]
) async throws -> [T] {
    try await gather(spawnAll(bodies, combinator: "gather", name: name, file: file, line: line))
}

/// Runs each closure as a task of the current loop and waits for them all, returning
/// their outcomes: asyncio's `gather(*coros, return_exceptions=...)`.
///
/// - Throws: as ``gather(_:returnExceptions:)``; `LoopError.notOnLoop` off a loop.
@discardableResult
public func gather<T: Sendable>(
    name: String? = nil, file: StaticString = #fileID, line: UInt = #line,
    _ bodies: [@Sendable () async throws -> T], returnExceptions: Bool
) async throws -> [Result<T, any Error>] {
    try await gather(spawnAll(bodies, combinator: "gather", name: name, file: file, line: line),
                     returnExceptions: returnExceptions)
}

func gatherResults<T: Sendable>(_ tasks: [TaskHandle<T>], returnExceptions: Bool) async throws -> [Result<T, any Error>] {
    try await gatherBoxes(tasks.map(\.box), returnExceptions: returnExceptions)
    var results: [Result<T, any Error>] = []
    results.reserveCapacity(tasks.count)
    for task in tasks {
        let result = task.typedResult
        if !returnExceptions, case .failure(let error) = result { throw error }
        results.append(result)
    }
    return results
}

/// Waits as gather does; without `returnExceptions`, throws the first error in completion
/// order. The callers take the results once it returned.
func gatherBoxes(_ boxes: [SpawnedTask], returnExceptions: Bool) async throws {
    guard !boxes.allSatisfy({ $0.result != nil }) else { return }
    let waiter = TaskSetWaiter(label: "gather of \(boxes.count)", count: boxes.count)
    waiter.watch(boxes)
    let loop = EventLoop.current
    let me = loop?.noteWait(.subject(waiter))
    defer { loop?.clearWait() }
    do {
        try await waiter.wait(for: returnExceptions ? .all : .allOrError)
    } catch {
        let requester = CancelRequester.combinator("cancel of gather", task: me)
        for box in boxes { _ = box.cancel(message: nil, requester: requester) }
        loop?.noteCancelDelivered(in: waiter.label)
        // As asyncio's gathering future: it completes when the first task ends cancelled or
        // failed (with `returnExceptions`, when the last one ended), and then raises that
        // task's error, `CancellationError` for a cancelled one.
        await waiter.waitUninterruptibly(for: returnExceptions ? .all : .allOrError)
        if !returnExceptions, let first = waiter.state.withLock({ $0.firstError }),
           case .failure(let failure)? = boxes[first].retrieve(), !(failure is CancellationError) {
            throw failure
        }
        throw error
    }
    if !returnExceptions, let first = waiter.state.withLock({ $0.firstError }),
       case .failure(let error)? = boxes[first].retrieve() {
        throw error
    }
}

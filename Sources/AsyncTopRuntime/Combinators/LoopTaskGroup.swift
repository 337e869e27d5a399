import AsyncTopModel
import Synchronization

/// The errors of a task group's failed children (and of its body): asyncio's `ExceptionGroup`.
public struct TaskGroupError: Error, CustomStringConvertible {
    /// In the order the children failed; the body's error last.
    public let errors: [any Error]
    public init(errors: [any Error]) { self.errors = errors }
    public var description: String {
        "\(errors.count) error(s) in a task group: " + errors.map { String(describing: $0) }.joined(separator: "; ")
    }

    /// Splits the errors as `except*` does: those that `matches` accepts, and a group of the
    /// rest (nil when none is left), each in order.
    ///
    /// ```swift
    /// } catch let group as TaskGroupError {
    ///     let (timeouts, rest) = group.split { $0 is TimeoutError }
    ///     if let rest { throw rest }
    /// }
    /// ```
    public func split(_ matches: (any Error) -> Bool) -> (matching: [any Error], rest: TaskGroupError?) {
        var matching: [any Error] = [], rest: [any Error] = []
        for error in errors {
            if matches(error) { matching.append(error) } else { rest.append(error) }
        }
        return (matching, rest.isEmpty ? nil : TaskGroupError(errors: rest))
    }

    /// Splits out the errors of type `E` (`except* E`), typed, and a group of the rest.
    public func split<E: Error>(_ type: E.Type) -> (matching: [E], rest: TaskGroupError?) {
        let (matching, rest) = split { $0 is E }
        return (matching.map { $0 as! E }, rest)
    }
}

/// A group of tasks on the loop: asyncio's `TaskGroup`, made by ``withLoopTaskGroup(name:_:)``.
///
/// The first child to fail with an error other than cancellation cancels its siblings
/// ("sibling N failed"); the group waits for every child and throws ``TaskGroupError``
/// with the errors collected.
public final class LoopTaskGroup: TaskCompletionObserver, @unchecked Sendable {
    let loop: EventLoop
    /// The group's name, for the dashboard.
    public let name: String?

    struct State {
        var children: [SpawnedTask] = []
        var remaining = 0
        var errors: [any Error] = []
        var aborting = false
        var closed = false
        var continuation: UnsafeContinuation<Void, any Error>?
    }
    let state = Mutex(State())

    init(loop: EventLoop, name: String?) {
        self.loop = loop
        self.name = name
    }

    /// Starts a child task: asyncio's `TaskGroup.create_task`. A child started while the
    /// group is cancelling its children is cancelled at once.
    ///
    /// - Throws: `LoopError.invalidState` once the group has finished; `LoopError.closed`.
    @discardableResult
    public func spawn<T: Sendable>(
        name: String? = nil, file: StaticString = #fileID, line: UInt = #line,
        _ body: @escaping @Sendable () async throws -> T
    ) throws -> TaskHandle<T> {
        if state.withLock({ $0.closed }) { throw LoopError.invalidState("spawn in a task group that has finished") }
        let handle = try loop.spawn(name: name, file: file, line: line, body)
        let (index, aborting) = state.withLock { state in
            state.children.append(handle.box)
            state.remaining += 1
            return (state.children.count - 1, state.aborting)
        }
        if aborting { _ = handle.box.cancel(message: nil, requester: .combinator("task group cancelling", task: nil)) }
        if !handle.box.observe(self, index: index) { taskFinished(index, TaskOutcome(handle.box.result!)) }
        return handle
    }

    func taskFinished(_ index: Int, _ outcome: TaskOutcome) {
        let (siblings, failed, continuation) = state.withLock { state -> ([SpawnedTask], SpawnedTask?, UnsafeContinuation<Void, any Error>?) in
            state.remaining -= 1
            var siblings: [SpawnedTask] = []
            var failed: SpawnedTask?
            if outcome == .failed, case .failure(let error)? = state.children[index].retrieve() {
                state.errors.append(error)
                if !state.aborting {
                    state.aborting = true
                    failed = state.children[index]
                    siblings = state.children
                }
            }
            var continuation: UnsafeContinuation<Void, any Error>?
            if state.remaining == 0 {
                continuation = state.continuation
                state.continuation = nil
            }
            return (siblings, failed, continuation)
        }
        if let failed {
            let requester = CancelRequester.combinator("sibling \(failed.id) failed", task: nil)
            for sibling in siblings where sibling !== failed && sibling.result == nil {
                _ = sibling.cancel(message: nil, requester: requester)
            }
        }
        continuation?.resume()
    }

    /// Cancels every unfinished child.
    func abort(_ requester: CancelRequester) {
        let children = state.withLock { state in
            state.aborting = true
            return state.children
        }
        for child in children where child.result == nil { _ = child.cancel(message: nil, requester: requester) }
    }

    var remaining: Int { state.withLock { $0.remaining } }

    /// Waits until every child ended.
    func join(cancellable: Bool) async throws {
        let install = { (continuation: UnsafeContinuation<Void, any Error>) -> Result<Void, any Error>? in
            self.state.withLock { state in
                if state.remaining == 0 { return .success(()) }
                if cancellable && Task.isCancelled { return .failure(CancellationError()) }
                state.continuation = continuation
                return nil
            }
        }
        if cancellable {
            try await park(install: install) { [self] in
                state.withLock { state in
                    defer { state.continuation = nil }
                    return state.continuation
                }?.resume(throwing: CancellationError())
            }
        } else {
            try await withUnsafeThrowingContinuation { continuation in
                if let now = install(continuation) { continuation.resume(with: now) }
            }
        }
    }
}

/// Runs `body` with a task group and waits for every child it started: `async with
/// asyncio.TaskGroup() as tg:`.
///
/// The first child to fail cancels the others; an error thrown by `body` cancels them too.
/// Cancelling the awaiting task cancels the children, waits for them, then throws
/// `CancellationError`.
///
/// - Returns: what `body` returns, once every child ended.
/// - Throws: ``TaskGroupError`` with the children's errors (and the body's); `CancellationError`;
///   `LoopError.notOnLoop` off a loop.
public func withLoopTaskGroup<R>(name: String? = nil, _ body: (LoopTaskGroup) async throws -> R) async throws -> R {
    guard let loop = EventLoop.current else { throw LoopError.notOnLoop("withLoopTaskGroup") }
    let group = LoopTaskGroup(loop: loop, name: name)
    let me = loop.currentID == 0 ? nil : loop.currentID
    let outcome: Result<R, any Error>
    do { outcome = .success(try await body(group)) } catch { outcome = .failure(error) }
    if case .failure = outcome { group.abort(.combinator("error in the body of a task group", task: me)) }
    var cancelled = false
    loop.noteWait(.children(group.remaining))
    do {
        try await group.join(cancellable: true)
    } catch {
        cancelled = true
        // Seen now, when the join threw; waiting for the children to end is the group's
        // answer to it, however long their own cancellation takes.
        loop.noteCancelDelivered(in: "task group")
        group.abort(.combinator("cancel of a task group", task: me))
        try? await group.join(cancellable: false)
    }
    loop.clearWait()
    let errors = group.state.withLock { state in
        state.closed = true
        return state.errors
    }
    if cancelled { throw CancellationError() }
    var all = errors
    if case .failure(let error) = outcome {
        if errors.isEmpty && error is CancellationError { throw error }
        if !(error is CancellationError) { all.append(error) }
    }
    if !all.isEmpty { throw TaskGroupError(errors: all) }
    return try outcome.get()
}

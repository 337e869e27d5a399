import AsyncTopModel
import CAsyncTopSupport

extension EventLoop {
    /// Starts `body` as a new task on this loop: asyncio's `loop.create_task`.
    ///
    /// The task's parent is the loop task that spawned it, if any. Safe from any thread.
    ///
    /// - Throws: `LoopError.closed` when the loop is closed.
    @discardableResult
    public func spawn<T: Sendable>(
        name: String? = nil, file: StaticString = #fileID, line: UInt = #line,
        _ body: @escaping @Sendable () async throws -> T
    ) throws -> TaskHandle<T> {
        try spawnTask(name: name, origin: .spawned, file: file, line: line, body)
    }

    func spawnTask<T: Sendable>(
        name: String?, origin: TaskOrigin, file: StaticString, line: UInt,
        _ body: @escaping @Sendable () async throws -> T
    ) throws -> TaskHandle<T> {
        guard !closedFlag.load(ordering: .relaxed) else { throw LoopError.closed }
        let record: TaskRecord? = instrumented
            ? TaskRecord(id: 0, parentID: isOnLoopThread ? (current?.id ?? 0) : 0, name: name, origin: origin,
                         site: SpawnSite(file: file, line: line), createdAt: timeBase.now())
            : nil
        let box = TaskBox(name: name, record: record, loop: self)
        record?.box = box
        asynctop_set_tls_spawn_slot(Unmanaged.passUnretained(box).toOpaque())
        let task = Task(name: name, executorPreference: self) {
            let result: Result<any Sendable, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            box.loop.finished(box, result)
        }
        asynctop_set_tls_spawn_slot(nil)
        box.state.withLock { $0.task = task }
        return TaskHandle(box: box)
    }

    /// The end of a spawned task: record its final state, then wake its awaiters.
    func finished(_ box: TaskBox, _ result: Result<any Sendable, any Error>) {
        if let record = box.record {
            let state: TaskState
            switch result {
            case .success: state = .done(result: nil)
            case .failure(let error as CancellationError):
                _ = error
                state = .cancelled(message: record.cancel?.message)
            case .failure(let error): state = .failed(error: String(describing: error))
            }
            let at = timeBase.now()
            if isOnLoopThread {
                registry.finish(record, state, at: at)
            } else {
                onLoop { loop in loop.registry.finish(record, state, at: at) }
            }
        }
        box.complete(result)
    }

    // MARK: What instrumented awaits tell the loop

    /// Notes what the running task is about to wait on; returns the running task's id.
    @discardableResult
    func noteWait(_ target: WaitTarget) -> TaskID? {
        guard isOnLoopThread, let current else { return nil }
        pendingWait = target
        return current.id
    }

    /// Forgets the noted wait once the await returned: it may have returned without
    /// suspending, and the step goes on.
    @inline(__always)
    func clearWait() {
        if isOnLoopThread { pendingWait = nil }
    }

    /// Notes that an await of the running task threw `CancellationError`.
    func noteCancelDelivered(in place: String) {
        guard isOnLoopThread, instrumented, let current else { return }
        registry.noteCancelDelivered(current, in: place, at: timeBase.now())
    }

    /// Who is asking, for cancellation provenance: the running loop task, or this thread.
    func currentRequester() -> CancelRequester {
        if let loop = EventLoop.current, loop.isOnLoopThread, let current = loop.current {
            return .task(current.id)
        }
        return .thread(currentThreadName())
    }
}

/// Starts `body` as a new task on the current event loop: asyncio's `create_task`.
///
/// - Throws: `LoopError.notOnLoop` outside a loop's task or callback; `LoopError.closed`.
@discardableResult
public func spawn<T: Sendable>(
    name: String? = nil, file: StaticString = #fileID, line: UInt = #line,
    _ body: @escaping @Sendable () async throws -> T
) throws -> TaskHandle<T> {
    guard let loop = EventLoop.current else { throw LoopError.notOnLoop("spawn") }
    return try loop.spawn(name: name, file: file, line: line, body)
}

/// The task running now on this thread's loop, as a value: asyncio's `current_task()`.
/// Nil outside a loop task (on other threads, in callbacks).
public func currentTask() -> TaskInfo? {
    guard let loop = EventLoop.current, let record = loop.current else { return nil }
    return record.info(executor: loop.name)
}

/// Every task of the current loop that has not finished: asyncio's `all_tasks()`.
///
/// - Throws: `LoopError.notOnLoop` outside a loop's task or callback.
public func allTasks() throws -> [TaskInfo] {
    guard let loop = EventLoop.current else { throw LoopError.notOnLoop("allTasks") }
    return loop.registry.infos(executor: loop.name, includeFinished: false)
}

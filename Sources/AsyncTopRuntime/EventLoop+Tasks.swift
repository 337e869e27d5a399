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
        guard !isClosedNow else { throw LoopError.closed }
        let box = SpawnedTask(name: name, loop: self)
        if instrumented {
            let onLoop = isOnLoopThread
            var record = TaskRecord(id: 0, parentID: onLoop ? currentID : 0, name: name, origin: origin,
                                    createdAt: timeBase.now())
            record.box = box
            if onLoop {
                record.site = registry.sites.index(of: SpawnSite(file: file, line: line))
                box.slot = registry.reserve(record)
            } else {
                box.pendingRecord = record
                box.pendingSite = SpawnSite(file: file, line: line)
            }
        }
        asynctop_set_tls_spawn_slot(Unmanaged.passUnretained(box).toOpaque())
        // The task holds on to the executor it prefers until it ends: the loop is alive
        // when the body finishes.
        let task = Task(name: name, executorPreference: self) { [self] in
            let result: Result<any Sendable, any Error>
            if Task.isCancelled {
                // Cancelled before its first step: as in asyncio, the body never runs.
                noteCancelDelivered(in: "its first step")
                result = .failure(CancellationError())
            } else {
                do { result = .success(try await body()) } catch { result = .failure(error) }
            }
            self.finished(box, result)
        }
        asynctop_set_tls_spawn_slot(nil)
        box.state.withLock { $0.task = task }
        return TaskHandle(box: box)
    }

    /// The end of a spawned task: record its final state, then wake its awaiters.
    func finished(_ box: SpawnedTask, _ result: Result<any Sendable, any Error>) {
        if instrumented {
            let state: TaskState
            switch result {
            case .success: state = .done(result: nil)
            case .failure(let error as CancellationError):
                _ = error
                state = .cancelled(message: nil)
            case .failure(let error): state = .failed(error: String(describing: error))
            }
            let at = timeBase.now()
            let id = box.id
            if isOnLoopThread {
                finishRecord(box.slot >= 0 ? box.slot : registry.slot(of: id), state, at: at)
            } else {
                onLoop { loop in loop.finishRecord(loop.registry.slot(of: id), state, at: at) }
            }
        }
        box.complete(result, on: self)
    }

    func finishRecord(_ slot: Slot?, _ state: TaskState, at: Nanos) {
        guard let slot else { return }
        if case .cancelled(nil) = state {
            registry.finish(slot, .cancelled(message: registry[slot].cancel?.message), at: at)
        } else {
            registry.finish(slot, state, at: at)
        }
    }

    // MARK: What instrumented awaits tell the loop

    /// Notes what the running task is about to wait on; returns the running task's id.
    @discardableResult
    func noteWait(_ target: PackedWait) -> TaskID? {
        guard isOnLoopThread, currentID != 0 else { return nil }
        pendingWait = target
        if currentUnnamedNative { nameCurrentNativeTask() }
        return currentID
    }

    /// Reads the running native task's own name, once per step until it has one.
    func nameCurrentNativeTask() {
        currentUnnamedNative = false
        if instrumented, currentSlot >= 0, let name = Task.name { registry.noteName(currentSlot, name) }
    }

    /// Forgets the noted wait once the await returned: it may have returned without
    /// suspending, and the step goes on.
    @inline(__always)
    func clearWait() {
        if isOnLoopThread { pendingWait = nil }
    }

    /// Notes that an await of the running task threw `CancellationError`.
    func noteCancelDelivered(in place: String) {
        guard isOnLoopThread, instrumented, currentSlot >= 0 else { return }
        registry.noteCancelDelivered(currentSlot, in: place, at: timeBase.now())
    }

    /// Who is asking, for cancellation provenance: the running loop task, or this thread.
    static func currentRequester() -> CancelRequester {
        if let loop = EventLoop.current, loop.currentID != 0 {
            return .task(loop.currentID)
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
/// Nil outside a loop task (on other threads, in callbacks): "no task" is an answer, as
/// asyncio's `None` is, so it does not throw.
public func currentTask() -> TaskInfo? {
    guard let loop = EventLoop.current, loop.currentSlot >= 0 else { return nil }
    return loop.registry[loop.currentSlot].snapshot(executor: loop.name, sites: loop.registry.sites)
}

/// Every task of the current loop that has not finished: asyncio's `all_tasks()`.
///
/// - Throws: `LoopError.notOnLoop` outside a loop's task or callback, as `spawn` does and
///   asyncio's `all_tasks()` raises without a running loop: an empty list would say "a loop
///   with no tasks" where there is no loop at all.
public func allTasks() throws -> [TaskInfo] {
    guard let loop = EventLoop.current else { throw LoopError.notOnLoop("allTasks") }
    return loop.registry.infos(executor: loop.name, includeFinished: false)
}

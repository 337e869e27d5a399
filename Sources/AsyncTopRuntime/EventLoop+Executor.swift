import AsyncTopModel
import CAsyncTopSupport

/// One unit of work in the loop's queues.
enum LoopItem {
    /// A job of a task (or a small continuation job), with its enqueue time and, for jobs
    /// enqueued by a step of the loop, the task that ran then (a new task's parent).
    case job(UnownedJob, enqueuedAt: Nanos, spawner: TaskID)
    /// The first job of a task spawned from another thread, with its storage, which holds
    /// the record to file.
    case spawned(UnownedJob, enqueuedAt: Nanos, box: TaskBox)
    /// A callback: `callSoon`, a fired `callLater`, work handed over by another thread.
    case callback(LoopCallback)
}

/// A callback scheduled on the loop; cancellable until it ran (asyncio's `Handle`).
public final class LoopCallback: @unchecked Sendable {
    let body: @Sendable () throws -> Void
    private let state = ConditionLock()
    private var isCancelled = false

    init(_ body: @escaping @Sendable () throws -> Void) { self.body = body }

    /// Prevents the callback from running, if it has not yet.
    public func cancel() { state.withLock { isCancelled = true } }

    /// True once `cancel()` was called.
    public var cancelled: Bool { state.withLock { isCancelled } }
}

extension EventLoop {
    /// Takes a job from the Swift runtime. Called on any thread; on the loop's own thread
    /// it takes no lock.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let box = takeSpawnSlot(for: job)
        if isOnLoopThread {
            if instrumented {
                if let box, box.slot >= 0 { registry.activate(box.slot, id: box.id) }
                // The running task queued itself again (`Task.yield` enqueues a small job of
                // its own, or the task's): it is ready, not waiting on something unknown.
                if pendingWait == nil, currentSlot >= 0, box == nil,
                   !RuntimeInternals.isTask(job) || RuntimeInternals.taskID(of: job) == currentID {
                    pendingWait = .ready
                }
                // Only task jobs need the time (for their scheduling latency).
                let now = RuntimeInternals.isTask(job) ? timeBase.now() : 0
                ready.append(.job(job, enqueuedAt: now, spawner: currentID))
            } else {
                ready.append(.job(job, enqueuedAt: 0, spawner: 0))
            }
        } else {
            let now = instrumented ? timeBase.now() : 0
            let item: LoopItem = if let box, box.pendingRecord != nil {
                .spawned(job, enqueuedAt: now, box: box)
            } else {
                .job(job, enqueuedAt: now, spawner: 0)
            }
            handOver(item)
        }
    }

    /// `spawn` leaves its storage in a thread-local slot while `Task.init` runs, and the
    /// runtime enqueues the new task's first job synchronously on that thread: this is
    /// where the task's id becomes known.
    @inline(__always)
    private func takeSpawnSlot(for job: UnownedJob) -> TaskBox? {
        guard let slot = asynctop_tls_spawn_slot() else { return nil }
        asynctop_set_tls_spawn_slot(nil)
        let box = Unmanaged<TaskBox>.fromOpaque(slot).takeUnretainedValue()
        let id = RuntimeInternals.taskID(of: job)
        box.id = id
        box.pendingRecord?.id = id
        return box
    }

    /// Adds an item to the inbox and wakes the loop.
    func handOver(_ item: LoopItem) {
        lock.lock()
        inbox.append(item)
        inboxPending.store(true, ordering: .releasing)
        if sleeping { lock.signal() }
        lock.unlock()
    }

    /// Runs `body` on the loop: now when called on the loop thread, else as soon as the
    /// loop takes its inbox (in order with the jobs handed over before and after).
    func onLoop(_ body: @escaping @Sendable (EventLoop) -> Void) {
        if isOnLoopThread {
            body(self)
        } else {
            handOver(.callback(LoopCallback { [unowned self] in body(self) }))
        }
    }

    /// Schedules a callback from any thread.
    func callSoonAnywhere(_ body: @escaping @Sendable () throws -> Void) {
        let callback = LoopCallback(body)
        if isOnLoopThread { ready.append(.callback(callback)) } else { handOver(.callback(callback)) }
    }

    // MARK: The drive loop

    /// Runs iterations until `stop()`: take the inbox, fire due timers, run what is ready
    /// (only what was ready when the iteration began, as asyncio does), sleep when idle.
    func drive() {
        stopRequested = false
        stats.windowStart = timeBase.now()
        while !stopRequested {
            if inboxPending.load(ordering: .acquiring) { takeInbox() }
            var now = timeBase.now()
            if !timers.isEmpty { fireDueTimers(now: now) }
            var count = ready.count
            if count == 0 {
                sleepUntilWork()
                continue
            }
            while count > 0, let item = ready.popFirst() {
                count -= 1
                now = run(item, startingAt: now)
            }
            if instrumented { registry.compactIfWorthIt() }
            if now &- stats.windowStart >= LoopCounters.window { rollWindow(now: now) }
        }
    }

    private func takeInbox() {
        lock.lock()
        if ready.isEmpty { swap(&ready, &inbox) } else { ready.append(contentsOf: inbox); inbox.removeAll(keepingCapacity: true) }
        inboxPending.store(false, ordering: .relaxed)
        lock.unlock()
    }

    private func sleepUntilWork() {
        lock.lock()
        if inbox.isEmpty && phase == .running {
            sleeping = true
            if let next = timers.min?.deadline {
                lock.wait(untilMonotonic: timeBase.origin &+ next)
            } else {
                lock.wait()
            }
            sleeping = false
        }
        lock.unlock()
        if inboxPending.load(ordering: .acquiring) { takeInbox() }
        if phase == .closed { stopRequested = true }
    }

    /// Runs one item; returns the time it ended, which is also when the next one starts.
    @inline(__always)
    private func run(_ item: LoopItem, startingAt start: Nanos) -> Nanos {
        switch item {
        case .job(let job, let enqueuedAt, let spawner):
            guard instrumented else {
                job.runSynchronously(on: executorRef)
                stats.steps &+= 1
                return start
            }
            return runTracked(job, enqueuedAt: enqueuedAt, spawner: spawner, start: start)
        case .spawned(let job, let enqueuedAt, let box):
            if var record = box.pendingRecord {
                box.pendingRecord = nil
                if let site = box.pendingSite { record.site = registry.sites.index(of: site) }
                box.slot = registry.insert(record)
            }
            return runTracked(job, enqueuedAt: enqueuedAt, spawner: 0, start: start)
        case .callback(let callback):
            guard !callback.cancelled else { return start }
            do { try callback.body() } catch { reportCallbackError(error) }
            return timeBase.now()
        }
    }

    /// Runs a job with the registry's bookkeeping around it.
    private func runTracked(_ job: UnownedJob, enqueuedAt: Nanos, spawner: TaskID, start: Nanos) -> Nanos {
        let id = RuntimeInternals.taskID(of: job)
        guard id != 0, RuntimeInternals.isTask(job) else {
            // A small continuation job (`Task.yield` makes one): not a task of its own, and
            // too short to be worth a clock read.
            job.runSynchronously(on: executorRef)
            return start
        }
        let slot = registry.slot(of: id) ?? registry.insert(
            TaskRecord(id: id, parentID: spawner, name: nil, origin: RuntimeInternals.origin(ofTask: job),
                       createdAt: enqueuedAt))
        registry.beginStep(slot, at: start, latency: start > enqueuedAt ? start &- enqueuedAt : 0)
        currentSlot = slot
        currentID = id
        pendingWait = nil
        currentTaskID.store(id, ordering: .relaxed)
        currentStepStart.store(start, ordering: .relaxed)

        let native = registry[slot].box == nil
        currentUnnamedNative = native && registry[slot].name == nil
        if native { RuntimeInternals.retain(task: job) }
        job.runSynchronously(on: executorRef)
        let end = timeBase.now()
        let duration = end &- start
        registry.endStep(slot, duration: duration, at: end, pendingWait: pendingWait)
        if native {
            let flags = RuntimeInternals.statusFlags(ofTask: job)
            if flags & RuntimeInternals.isCompleteBit != 0 {
                let cancelled = flags & RuntimeInternals.isCancelledBit != 0
                registry.finish(slot, cancelled ? .cancelled(message: registry[slot].cancel?.message) : .done(result: nil), at: end)
            }
            RuntimeInternals.release(task: job)
        }
        currentSlot = -1
        currentID = 0
        pendingWait = nil
        currentUnnamedNative = false
        currentTaskID.store(0, ordering: .relaxed)
        stats.steps &+= 1
        stats.windowSteps &+= 1
        stats.windowBusy &+= duration
        if debug, duration > slowStepThreshold.asNanos { reportSlowStep(id, duration: duration) }
        return end
    }

    func reportCallbackError(_ error: any Error) {
        let text = "callback raised \(error)"
        callbackErrors.withLock { log in
            log.append(text)
            if log.count > 100 { log.removeFirst(log.count - 100) }
        }
    }

    private func reportSlowStep(_ id: TaskID, duration: Nanos) {
        let name = registry.slot(of: id).map { registry[$0].displayName } ?? "Task-\(id)"
        let text = "asynctop: slow step: task \(id) \(name) held the loop for \(formatDuration(duration))\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    private func rollWindow(now: Nanos) {
        let span = Double(now &- stats.windowStart) / 1e9
        stats.stepsPerSecond = Double(stats.windowSteps) / span
        stats.busyFraction = min(1, Double(stats.windowBusy) / 1e9 / span)
        stats.lagMaxPrevious = stats.lagMaxWindow
        stats.lagMaxWindow = 0
        stats.windowSteps = 0
        stats.windowBusy = 0
        stats.windowStart = now
        registry.evict(now: now)
    }
}

/// The loop's counters, kept on the loop thread.
struct LoopCounters {
    static let window: Nanos = 1_000_000_000
    var steps: UInt64 = 0
    var windowStart: Nanos = 0
    var windowSteps: UInt64 = 0
    var windowBusy: Nanos = 0
    var stepsPerSecond: Double = 0
    var busyFraction: Double = 0
    var lagLast: Nanos = 0
    var lagMaxWindow: Nanos = 0
    var lagMaxPrevious: Nanos = 0
}

import Foundation

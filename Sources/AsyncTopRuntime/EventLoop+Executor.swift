import AsyncTopModel
import CAsyncTopSupport
import Foundation
import Synchronization

/// One unit of work in the loop's queues.
enum LoopItem {
    /// A job of a task (or a small continuation job), with its enqueue time and, for jobs
    /// enqueued by a step of the loop, the task that ran then (a new task's parent).
    case job(UnownedJob, enqueuedAt: Nanos, spawner: TaskID)
    /// A job of an actor isolated to the loop (``LoopActor``, ``MainLoopActor``): run
    /// isolated to the loop's serial executor, and tracked as `job` is.
    case isolatedJob(UnownedJob, enqueuedAt: Nanos, spawner: TaskID)
    /// The first job of a task spawned from another thread, with its storage, which holds
    /// the record to file.
    case spawned(UnownedJob, enqueuedAt: Nanos, box: SpawnedTask)
    /// A callback: `callSoon`, a fired `callLater`, work handed over by another thread.
    case callback(LoopCallback)
    /// A job the runtime asked to run later, now due: the wake-up of a `Task.sleep`. It is
    /// a small task of the runtime's own that resumes the sleeper, no task of the user's:
    /// it runs untracked, and the sleeper shows as sleeping until then.
    case wakeUp(UnownedJob)
    /// A `sleep` whose time came: resuming it queues the sleeper, which runs in the next
    /// iteration, as asyncio's timer callback sets the sleep's future and the task's wake-up
    /// is scheduled from there. A cancel in between wins (see ``sleep(_:)``).
    case wakeSleeper(SleepWaiter)
}

/// A callback scheduled on the loop; cancellable until it ran (asyncio's `Handle`).
public final class LoopCallback: Sendable {
    let body: @Sendable () throws -> Void
    /// A one-shot flag: an atomic, not a lock (a callback is made for every cross-thread
    /// hand-over, a cancel among them).
    private let isCancelled = Atomic<Bool>(false)

    init(_ body: @escaping @Sendable () throws -> Void) { self.body = body }

    /// Prevents the callback from running, if it has not yet.
    public func cancel() { isCancelled.store(true, ordering: .releasing) }

    /// True once `cancel()` was called.
    public var cancelled: Bool { isCancelled.load(ordering: .acquiring) }
}

extension EventLoop {
    /// Takes a job from the Swift runtime. Called on any thread; on the loop's own thread
    /// it takes no lock.
    public func enqueue(_ job: consuming ExecutorJob) {
        enqueue(UnownedJob(job), isolated: false)
    }

    /// Queues a job: a task's (`isolated` false) or an actor's isolated to the loop.
    func enqueue(_ job: UnownedJob, isolated: Bool) {
        let box = takeSpawnSlot(for: job)
        if isOnLoopThread {
            if instrumented {
                if let box, box.slot >= 0 { registry.activate(box.slot, id: box.id) }
                // A native task that spawns (a group child, an `async let`) runs its step here:
                // its name can be read now, even when it never reaches an await the loop sees.
                if currentUnnamedNative { nameCurrentNativeTask() }
                // The running task queued itself again (`Task.yield` enqueues a small job of
                // its own, or the task's): it is ready, not waiting on something unknown.
                if pendingWait == nil, currentSlot >= 0, box == nil,
                   !RuntimeInternals.isTask(job) || RuntimeInternals.taskID(of: job) == currentID {
                    pendingWait = .ready
                }
                // Only task jobs need the time (for their scheduling latency).
                let now = RuntimeInternals.isTask(job) ? timeBase.now() : 0
                ready.append(isolated ? .isolatedJob(job, enqueuedAt: now, spawner: currentID)
                                      : .job(job, enqueuedAt: now, spawner: currentID))
            } else {
                ready.append(isolated ? .isolatedJob(job, enqueuedAt: 0, spawner: 0) : .job(job, enqueuedAt: 0, spawner: 0))
            }
        } else {
            let now = instrumented ? timeBase.now() : 0
            let item: LoopItem = if let box, box.pendingRecord != nil {
                .spawned(job, enqueuedAt: now, box: box)
            } else if isolated {
                .isolatedJob(job, enqueuedAt: now, spawner: 0)
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
    private func takeSpawnSlot(for job: UnownedJob) -> SpawnedTask? {
        guard let slot = asynctop_tls_spawn_slot() else { return nil }
        asynctop_set_tls_spawn_slot(nil)
        let box = Unmanaged<SpawnedTask>.fromOpaque(slot).takeUnretainedValue()
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
        let wake = sleeping
        lock.unlock()
        // Outside the lock: a wake-up the loop no longer needs is one spurious return.
        if wake { reactor.wake() }
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
        // Set right after the loop slept in the reactor: the poll that ended the sleep just
        // dispatched what was ready, so the iteration it starts does not poll again.
        var justPolled = false
        while !stopRequested {
            if inboxPending.load(ordering: .acquiring) { takeInbox() }
            var now = timeBase.now()
            if now >= stats.nextSampleAt { recordSeries(now: now) }
            if !timers.isEmpty { fireDueTimers(now: now) }
            if reactor.count > 0 && !justPolled { reactor.poll(timeout: 0, dispatchIO) }
            justPolled = false
            var count = ready.count
            if count == 0 {
                justPolled = sleepUntilWork()
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

    /// Blocks in the reactor until a descriptor is ready, the next timer is due, or another
    /// thread hands work over. Returns whether it polled the reactor.
    private func sleepUntilWork() -> Bool {
        var polled = false
        lock.lock()
        if inbox.isEmpty && phase == .running {
            sleeping = true
            lock.unlock()
            let timeout: Int64 = timers.min.map { Int64(clamping: $0.deadline &- min($0.deadline, timeBase.now())) } ?? -1
            reactor.poll(timeout: timeout, dispatchIO)
            polled = true
            lock.lock()
            sleeping = false
            stats.wakeups &+= 1
        }
        lock.unlock()
        if inboxPending.load(ordering: .acquiring) { takeInbox() }
        return polled
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
        case .isolatedJob(let job, let enqueuedAt, let spawner):
            guard instrumented else {
                job.runSynchronously(isolatedTo: isolation.reference, taskExecutor: executorRef)
                stats.steps &+= 1
                return start
            }
            return runTracked(job, enqueuedAt: enqueuedAt, spawner: spawner, start: start, isolated: true)
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
        case .wakeUp(let job):
            job.runSynchronously(on: executorRef)
            return start
        case .wakeSleeper(let waiter):
            waiter.fire()
            return start
        }
    }

    /// Runs a job with the registry's bookkeeping around it.
    private func runTracked(_ job: UnownedJob, enqueuedAt: Nanos, spawner: TaskID, start: Nanos,
                            isolated: Bool = false) -> Nanos {
        let id = RuntimeInternals.taskID(of: job)
        guard id != 0, RuntimeInternals.isTask(job) else {
            // A small continuation job (`Task.yield` makes one): not a task of its own, and
            // too short to be worth a clock read.
            runJob(job, isolated: isolated)
            return start
        }
        let slot = registry.slot(of: id) ?? registry.insert(
            TaskRecord(id: id, parentID: spawner, name: nil,
                       origin: readsTaskKinds ? RuntimeInternals.origin(ofTask: job) : .native, createdAt: enqueuedAt))
        let latency = start > enqueuedAt ? start &- enqueuedAt : 0
        registry.beginStep(slot, at: start, latency: latency)
        currentSlot = slot
        currentID = id
        pendingWait = nil
        currentTaskID.store(id, ordering: .relaxed)
        currentStepStart.store(start, ordering: .relaxed)

        let native = registry[slot].box == nil
        currentUnnamedNative = native && registry[slot].name == nil
        // The loop holds the task object from its first step here until its end is seen: to
        // read its status after each step, and its async stack while it is suspended.
        if readsTaskStatus && registry[slot].object == nil {
            RuntimeInternals.retain(task: job)
            registry[slot].object = RuntimeInternals.pointer(of: job)
        }
        runJob(job, isolated: isolated)
        let end = timeBase.now()
        let duration = end &- start
        // Both with the step's end, so that a snapshot taken inside a step counts the same steps.
        timings.steps.record(duration)
        timings.latencies.record(latency)
        if readsTaskStatus {
            // Still alive: held by the record, or by `deferredReleases` if it was dropped.
            let flags = RuntimeInternals.statusFlags(ofTask: job)
            if flags & RuntimeInternals.isCompleteBit != 0 {
                // A native task that ended in this step finished, rather than suspended.
                if native && registry[slot].id == id {
                    let cancelled = flags & RuntimeInternals.isCancelledBit != 0
                    registry.finish(slot, cancelled ? .cancelled(message: registry[slot].cancel?.message) : .done(result: nil), at: end)
                }
                if registry[slot].id == id, let object = registry[slot].object {
                    registry[slot].object = nil
                    RuntimeInternals.release(taskObject: object)
                }
            } else if registry[slot].id == id {
                // Queued or running elsewhere without having queued itself here: it left the loop.
                registry[slot].away = flags & (RuntimeInternals.isRunningBit | RuntimeInternals.isEnqueuedBit) != 0
                    && pendingWait != .ready
            }
            if !registry.deferredReleases.isEmpty { registry.releaseDeferred() }
        }
        registry.endStep(slot, duration: duration, at: end, pendingWait: pendingWait)
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

    @inline(__always)
    private func runJob(_ job: UnownedJob, isolated: Bool) {
        if isolated {
            job.runSynchronously(isolatedTo: isolation.reference, taskExecutor: executorRef)
        } else {
            job.runSynchronously(on: executorRef)
        }
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
    /// When the series takes its next sample (loop time; 0 before the first call, never
    /// for an uninstrumented loop).
    var nextSampleAt: Nanos = 0
    /// Times the loop woke from sleeping (what an idle loop must not do on its own).
    var wakeups: UInt64 = 0
    var windowStart: Nanos = 0
    var windowSteps: UInt64 = 0
    var windowBusy: Nanos = 0
    var stepsPerSecond: Double = 0
    var busyFraction: Double = 0
    var lag = LagMeter()

    /// Steps per second and busy share of the last window. The window rolls as steps run;
    /// for a loop that ran none for longer than a window, the quiet since it began.
    func rates(at now: Nanos) -> (stepsPerSecond: Double, busyFraction: Double) {
        let age = now &- windowStart
        guard age >= 2 * Self.window else { return (stepsPerSecond, busyFraction) }
        let span = Double(age) / 1e9
        return (Double(windowSteps) / span, min(1, Double(windowBusy) / 1e9 / span))
    }
}

/// How late the loop's timers fired, over the last one to two seconds of loop time: the
/// latest and the worst. Both are 0 when no timer fell due in that time, so the latest
/// is never above the worst, and an idle loop shows no lag.
struct LagMeter {
    static let bucket: Nanos = 1_000_000_000
    /// The second of loop time the maxima below are of: `worst` of it, `previousWorst` of
    /// the one before.
    private var second: UInt64 = 0
    private var worst: Nanos = 0
    private var previousWorst: Nanos = 0
    /// The lateness of the last timer; it fell due in `second`.
    private var latest: Nanos = 0

    /// A timer fell due `lag` before `now`.
    mutating func record(_ lag: Nanos, at now: Nanos) {
        let current = now / Self.bucket
        if current != second {
            previousWorst = current == second &+ 1 ? worst : 0
            worst = 0
            second = current
        }
        if lag > worst { worst = lag }
        latest = lag
    }

    /// The latest and the worst lateness as of `now`.
    func reported(at now: Nanos) -> (last: Nanos, max: Nanos) {
        switch now / Self.bucket {
        case second: (latest, max(worst, previousWorst))
        case second &+ 1: (latest, worst)
        default: (0, 0)
        }
    }
}

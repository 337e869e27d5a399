import AsyncTopModel
import Dispatch
import Synchronization

extension EventLoop {
    /// A snapshot of every tracked task and the loop's counters. Safe from any thread.
    ///
    /// On the loop it is exact. From another thread the loop builds it between two steps;
    /// when the loop is stuck in a long step for more than `timeout` seconds, the last
    /// snapshot it built is returned with the stuck task and its step start filled in, so a
    /// blocked loop stays visible.
    public func snapshot(timeout: Double = 0.25) -> Snapshot {
        if isOnLoopThread { return buildSnapshot() }
        if let fresh = build(timeout: timeout, { $0.buildSnapshot() }) { return fresh }
        var stale = lastSnapshot.withLock { $0 } ?? Snapshot(loopName: name)
        stale.takenAt = timeBase.now()
        let running = currentTaskID.load(ordering: .relaxed)
        stale.stats.currentTask = running == 0 ? nil : running
        stale.stats.currentStepSince = running == 0 ? nil : currentStepStart.load(ordering: .relaxed)
        return stale
    }

    /// What changed since the snapshot of `version`: tasks changed or added after it, and
    /// ids removed since. When the registry no longer knows the removals that far back,
    /// the delta is full (every task). Call it on the loop, or from another thread as
    /// ``snapshot(timeout:)``.
    public func delta(since version: UInt64, timeout: Double = 0.25) -> SnapshotDelta {
        if isOnLoopThread { return buildDelta(since: version) }
        if let delta = build(timeout: timeout, { $0.buildDelta(since: version) }) { return delta }
        let stale = snapshot(timeout: 0)
        return SnapshotDelta(fromVersion: version, toVersion: stale.version, takenAt: stale.takenAt, isFull: true,
                             changed: stale.tasks, removed: [], stats: stale.stats, executors: stale.executors,
                             resources: stale.resources)
    }

    /// Builds a value from the loop's state on another thread: here, under the lock, when
    /// the loop is not running (the lock's holder owns the state then); otherwise by the
    /// loop between two steps. Nil when the running loop did not get to it in `timeout`:
    /// the request is then abandoned, and a loop stuck in a long step finds only abandoned
    /// requests when it returns, which it skips — no pile of snapshots built for no one.
    func build<Value: Sendable>(timeout: Double, _ make: @escaping @Sendable (EventLoop) -> Value) -> Value? {
        while true {
            let box = LoopReply<Value>()
            var wake = false
            let built: Value? = lock.withLock {
                if phase != .running { return make(self) }
                inbox.append(.callback(LoopCallback { [unowned self] in
                    guard !box.isAbandoned else { return }
                    requestedBuilds.add(1, ordering: .relaxed)
                    box.fill(make(self))
                }))
                inboxPending.store(true, ordering: .releasing)
                wake = sleeping
                stopWatchers.append(box)
                return nil
            }
            if let built { return built }
            if wake { reactor.wake() }
            let outcome = box.wait(timeout: timeout)
            lock.withLock { stopWatchers.removeAll { $0 === box } }
            switch outcome {
            case .value(let value): return value
            case .loopStopped: continue  // the run ended first: build it here
            case .timedOut:
                box.abandon()
                return nil
            }
        }
    }

    func buildSnapshot() -> Snapshot {
        registry.evict(now: timeBase.now())
        let snapshot = Snapshot(
            version: registry.version, takenAt: timeBase.now(), epoch: timeBase.epoch, loopName: name,
            stats: loopStats(), tasks: registry.infos(executor: name), executors: executorInfos(),
            resources: allResources())
        lastSnapshot.withLock { $0 = snapshot }
        return snapshot
    }

    func publishSnapshot() {
        _ = buildSnapshot()
    }

    func buildDelta(since version: UInt64) -> SnapshotDelta {
        let now = timeBase.now()
        registry.evict(now: now)
        if let removed = registry.removed(after: version) {
            return SnapshotDelta(fromVersion: version, toVersion: registry.version, takenAt: now, isFull: false,
                                 changed: registry.infos(changedAfter: version, executor: name), removed: removed,
                                 stats: loopStats().withSeriesSuffix(seconds: SnapshotDelta.seriesSeconds),
                                 executors: executorInfos(), resources: allResources())
        }
        return SnapshotDelta(fromVersion: version, toVersion: registry.version, takenAt: now, isFull: true,
                             changed: registry.infos(executor: name), removed: [], stats: loopStats(),
                             executors: executorInfos(), resources: allResources())
    }

    func loopStats() -> LoopStats {
        let phase = currentPhase
        let now = timeBase.now()
        let lag = stats.lag.reported(at: now)
        let rates = stats.rates(at: now)
        let running: TaskID? = currentID == 0 ? nil : currentID
        if now >= stats.nextSampleAt { recordSeries(now: now) }
        let t = instrumented ? timings : nil
        return LoopStats(
            phase: phase.name, debug: debug, instrumented: instrumented,
            tasksByState: registry.countsByState(), totalSpawned: registry.totalSpawned, totalSteps: stats.steps,
            stepsPerSecond: rates.stepsPerSecond, busyFraction: rates.busyFraction, readyQueueDepth: ready.count,
            pendingTimers: timers.count, lagLast: lag.last, lagMax: lag.max,
            droppedFinished: registry.droppedFinished, currentTask: running,
            currentStepSince: running == nil ? nil : currentStepStart.load(ordering: .relaxed),
            instrumentationWarning: instrumentationWarning,
            stepHistogram: t?.steps.histogram, latencyHistogram: t?.latencies.histogram, lagHistogram: t?.lags.histogram,
            busyTotal: t?.steps.sum, series: t?.series)
    }

    /// The loop, then every live thread pool.
    func executorInfos() -> [ExecutorInfo] {
        [loopExecutorInfo()] + ExecutorRegistry.shared.pools.map { $0.info(timeBase: timeBase) }
    }

    /// The loop as an executor: its ready queue, oldest first (the first 200 items).
    func loopExecutorInfo() -> ExecutorInfo {
        var queue: [QueuedItem] = []
        for (index, item) in ready.prefix(200).enumerated() {
            switch item {
            case .job(let job, let enqueuedAt, _), .isolatedJob(let job, let enqueuedAt, _):
                let id = RuntimeInternals.taskID(of: job)
                queue.append(QueuedItem(item: UInt64(index), task: id == 0 ? nil : id, enqueuedAt: enqueuedAt, label: "step"))
            case .spawned(_, let enqueuedAt, let box):
                queue.append(QueuedItem(item: UInt64(index), task: box.id, enqueuedAt: enqueuedAt, label: "first step"))
            case .callback:
                queue.append(QueuedItem(item: UInt64(index), task: nil, enqueuedAt: 0, label: "callback"))
            case .wakeUp, .wakeSleeper:
                queue.append(QueuedItem(item: UInt64(index), task: nil, enqueuedAt: 0, label: "sleep wake-up"))
            }
        }
        let running = currentSlot >= 0
        let worker = WorkerInfo(name: name, item: running ? 0 : nil, awaitingTask: running ? currentID : nil,
                                since: running ? currentStepStart.load(ordering: .relaxed) : nil,
                                label: running ? "task \(currentID) \(registry[currentSlot].displayName)" : nil)
        return ExecutorInfo(name: name, kind: .loop, workers: [worker], queue: queue, queueDepth: ready.count,
                            waitHistogram: instrumented ? timings.latencies.histogram : nil)
    }
}

/// Told when the loop stops running before it built what a thread waits for.
protocol StopWatcher: AnyObject, Sendable {
    func loopStopped()
}

/// Carries a value from the loop thread to a thread that waits for it, for a while.
final class LoopReply<Value: Sendable>: StopWatcher, @unchecked Sendable {
    enum Outcome {
        case value(Value)
        case loopStopped
        case timedOut
    }

    private let semaphore = DispatchSemaphore(value: 0)
    private let state = Mutex<(value: Value?, stopped: Bool, abandoned: Bool)>((nil, false, false))

    func fill(_ value: Value) {
        state.withLock { $0.value = value }
        semaphore.signal()
    }

    /// No one waits for the value any more.
    func abandon() { state.withLock { $0.abandoned = true } }
    var isAbandoned: Bool { state.withLock { $0.abandoned } }

    func loopStopped() {
        state.withLock { $0.stopped = true }
        semaphore.signal()
    }

    func wait(timeout: Double) -> Outcome {
        guard semaphore.wait(timeout: .now() + timeout) == .success else { return .timedOut }
        return state.withLock { state in
            if let value = state.value { return .value(value) }
            return state.stopped ? .loopStopped : .timedOut
        }
    }

    /// The value, when it came in time.
    func value(within timeout: Double) -> Value? {
        if case .value(let value) = wait(timeout: timeout) { return value }
        return nil
    }
}

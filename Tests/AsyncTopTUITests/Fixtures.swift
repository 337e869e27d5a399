import AsyncTopModel
import AsyncTopTUI

/// Hand-built snapshots with fixed ids and times, so rendered text can be compared exactly.
enum Fixtures {
    static let ms: Nanos = 1_000_000

    /// A small tree: main with a fetch subtree, a failed, a cancelled and a pending child.
    ///
    /// ```
    /// 1 main
    /// ├─ 2 fetch
    /// │  ├─ 3 worker-a   (cancel requested)
    /// │  └─ 4 worker-b   (done)
    /// ├─ 5 parser        (failed)
    /// ├─ 6 janitor       (cancelled)
    /// └─ 7 idle          (pending)
    /// ```
    static func small(version: UInt64 = 1) -> Snapshot {
        let tasks = [
            TaskInfo(id: 1, name: "main", origin: .main, state: .running, createdAt: 0, steps: 40,
                     busy: 12 * ms, lastLatency: 15_000),
            TaskInfo(id: 2, parentID: 1, name: "fetch", state: .suspended(.sleep(until: 2_500 * ms)),
                     history: [Transition(at: 100 * ms, state: .pending), Transition(at: 110 * ms, state: .running),
                               Transition(at: 120 * ms, state: .suspended, detail: "sleep")],
                     createdAt: 100 * ms, steps: 3, busy: 2 * ms, lastLatency: 40_000),
            TaskInfo(id: 3, parentID: 2, name: "worker-a", state: .suspended(.resource(kind: "Lock", id: 9, name: "db")),
                     cancel: CancelInfo(requestedBy: .dashboard, message: "too slow", requestedAt: 1_900 * ms),
                     createdAt: 200 * ms, steps: 1_500),
            TaskInfo(id: 4, parentID: 2, name: "worker-b", state: .done(result: "42"), createdAt: 200 * ms,
                     finishedAt: 700 * ms, steps: 2),
            TaskInfo(id: 5, parentID: 1, name: "parser", state: .failed(error: "bad input"), createdAt: 300 * ms,
                     finishedAt: 400 * ms, steps: 1),
            TaskInfo(id: 6, parentID: 1, name: "janitor", state: .cancelled(message: "shutdown"),
                     cancel: CancelInfo(requestedBy: .task(1), message: "shutdown", requestedAt: 500 * ms,
                                        deliveredAt: 510 * ms, deliveredIn: "sleep", outcome: .cancelled),
                     createdAt: 300 * ms, finishedAt: 510 * ms),
            TaskInfo(id: 7, parentID: 1, name: "idle", state: .pending, createdAt: 1_990 * ms),
        ]
        var counts: [TaskStateKind: Int] = [:]
        for task in tasks { counts[task.state.kind, default: 0] += 1 }
        let stats = LoopStats(tasksByState: counts, totalSpawned: 7, totalSteps: 1_546, stepsPerSecond: 12_345,
                              busyFraction: 0.45, readyQueueDepth: 1, pendingTimers: 2, lagLast: 1_200_000,
                              lagMax: 3_400_000, droppedFinished: 10)
        let executors = [
            ExecutorInfo(name: "loop", kind: .loop, workers: [WorkerInfo(name: "loop", item: 1, awaitingTask: 1)],
                         queue: [QueuedItem(item: 11, task: 7, enqueuedAt: 1_995 * ms)]),
            ExecutorInfo(name: "io", kind: .threads,
                         workers: [WorkerInfo(name: "io-1", item: 21, awaitingTask: 2, since: 1_500 * ms, label: "read"),
                                   WorkerInfo(name: "io-2")],
                         queue: [QueuedItem(item: 22, task: 3, enqueuedAt: 1_800 * ms, label: "write"),
                                 QueuedItem(item: 23, task: nil, enqueuedAt: 1_900 * ms)],
                         queueDepth: 5),
        ]
        return Snapshot(version: version, takenAt: 2_000 * ms, loopName: "main", stats: stats, tasks: tasks,
                        executors: executors)
    }

    /// ``small(version:)`` with a lint of four kinds, in the order the lints pane lists them:
    /// fetch (2) held the loop 300 ms in one step; parser (5) failed and no one took its
    /// error; io-1 runs on for fetch after its await was cancelled (orphaned work);
    /// worker-a (3) and idle (7) each wait on the lock the other holds (a deadlock).
    static func withLints(version: UInt64 = 1) -> Snapshot {
        var snapshot = small(version: version)
        let fetch = snapshot.tasks[1]
        snapshot.tasks[1] = TaskInfo(id: 2, parentID: 1, name: "fetch", state: fetch.state, history: fetch.history,
                                     createdAt: fetch.createdAt, startedAt: 110 * ms, steps: 3, busy: 2 * ms,
                                     maxStep: 300 * ms, lastLatency: 40_000)
        snapshot.tasks[6] = snapshot.tasks[6].with(state: .suspended(.resource(kind: "Lock", id: 8, name: "cache")))
        snapshot.resources = [ResourceInfo(id: 8, kind: "Lock", name: "cache", holders: [3], waiters: [7]),
                              ResourceInfo(id: 9, kind: "Lock", name: "db", holders: [7], waiters: [3])]
        snapshot.executors[1].workers[0].orphaned = true
        return snapshot
    }

    /// `count` tasks in a wide, deep tree: task i's parent is i / 4 (task 1 is the root).
    static func large(count: Int) -> Snapshot {
        let kinds: [TaskState] = [.running, .suspended(.ready), .pending, .done(result: nil)]
        let tasks = (1...count).map { i in
            TaskInfo(id: TaskID(i), parentID: i == 1 ? nil : TaskID(i / 4), name: "task-\(i)",
                     state: kinds[i % kinds.count], createdAt: 0, steps: UInt64(i))
        }
        return Snapshot(version: 1, takenAt: 1_000 * ms, tasks: tasks)
    }

    static let demos = [
        DemoEntry(name: "gather", summary: "gather three fetches, one fails"),
        DemoEntry(name: "timeouts", summary: "wait_for cancels a slow task"),
    ]

    /// A histogram of `counts` values at each duration.
    static func histogram(_ counts: [(Nanos, UInt64)], precision: Int = 4) -> DurationHistogram {
        var h = DurationHistogram(precision: precision)
        for (value, times) in counts { h.record(value, times: times) }
        return h
    }

    /// Seconds `1...seconds` of a loop's series: live tasks 10 + s % 7, s % 5 spawned,
    /// 1000 + 10 s steps, busy 20%, lag 100 µs and s % 3 ready; at second `spike` busy is
    /// 95%, lag 5 ms and the ready queue 40.
    static func series(seconds: Int = 120, spike: Int? = 100) -> LoopSeries {
        LoopSeries(samples: (1...max(1, seconds)).map { s in
            let high = s == spike
            return LoopSample(at: Nanos(s) * 1_000_000_000,
                              tasksByState: [.pending: 1, .running: 1, .suspended: 8 + s % 7, .done: 3],
                              spawned: UInt64(s % 5), steps: UInt64(1_000 + 10 * s), busy: high ? 0.95 : 0.2,
                              lagP99: high ? 5 * ms : 100_000, readyQueueDepth: high ? 40 : s % 3)
        })
    }

    /// ``small(version:)`` at 120.5 s, its loop with ``series(seconds:spike:)`` and histograms;
    /// task 1 (main) with step and latency histograms.
    static func withSeries(seconds: Int = 120, spike: Int? = 100) -> Snapshot {
        var snapshot = small()
        snapshot.takenAt = Nanos(seconds) * 1_000 * ms + 500 * ms
        snapshot.stats.series = series(seconds: seconds, spike: spike)
        snapshot.stats.stepHistogram = histogram([(10_000, 500), (50_000, 200), (1 * ms, 20), (30 * ms, 1)])
        snapshot.stats.latencyHistogram = histogram([(2_000, 300), (20_000, 30)])
        snapshot.stats.lagHistogram = histogram([(100_000, 90), (5 * ms, 1)])
        snapshot.stats.busyTotal = 24 * 1_000 * ms
        let main = snapshot.tasks[0]
        snapshot.tasks[0] = TaskInfo(id: main.id, name: main.name, origin: main.origin, state: main.state,
                                     createdAt: main.createdAt, steps: main.steps, busy: main.busy,
                                     lastLatency: main.lastLatency,
                                     stepHistogram: histogram([(10_000, 30), (200_000, 9), (2 * ms, 1)]),
                                     latencyHistogram: histogram([(15_000, 40)]))
        return snapshot
    }
}

import AsyncTopModel
import AsyncTopTUI

/// The fixture's data: a hand-made tree, generated trees, executors and demos.
enum FakeTasks {
    static let ms: Nanos = 1_000_000

    static let demos = [
        DemoEntry(name: "gather", summary: "three fetches gathered; one fails"),
        DemoEntry(name: "timeouts", summary: "wait_for cancels a slow task"),
        DemoEntry(name: "pool", summary: "blocking work on a thread pool"),
    ]

    /// About forty tasks in a tree, in every state, some with cancellation requested, and an
    /// `async let` (the last).
    /// With `histograms`, every worker carries step-time and latency histograms.
    static func tree(histograms: Bool = true) -> [TaskInfo] {
        var tasks = [TaskInfo(id: 1, name: "main", origin: .main, state: .running, createdAt: 0)]
        let waits: [WaitTarget] = [
            .sleep(until: 5_000 * ms), .resource(kind: "Lock", id: 3, name: "db"), .task(2), .children(count: 3),
            .workItem(executor: "io", item: 21), .ready, .unknown,
            .other("a response from the upstream inventory service that is slow today, with a long description"),
        ]
        let states: [TaskState] = [
            .running, .pending, .done(result: "ok"), .failed(error: "connection reset"), .cancelled(message: "timeout"),
        ]
        for group in 0..<6 {
            let groupID = TaskID(2 + group * 7)
            tasks.append(TaskInfo(id: groupID, parentID: 1, name: "service-\(group)",
                                  state: .suspended(.children(count: 6)), createdAt: 10 * ms))
            for child in 1...6 {
                let id = groupID + TaskID(child)
                let n = group * 6 + child
                let state: TaskState = n % 3 == 0 ? states[n % states.count] : .suspended(waits[n % waits.count])
                let cancel = n % 7 == 0 && !state.isFinished
                    ? CancelInfo(requestedBy: .combinator("timeout", task: groupID), message: "deadline", requestedAt: 900 * ms)
                    : nil
                tasks.append(TaskInfo(id: id, parentID: groupID, name: "worker-\(group)-\(child)", state: state,
                                      cancel: cancel, history: [Transition(at: 20 * ms, state: .pending)],
                                      createdAt: 20 * ms, steps: UInt64(n * 3), busy: Nanos(n) * 40_000,
                                      lastLatency: Nanos(n) * 1_000,
                                      stepHistogram: histograms ? taskHistograms(id: id, steps: n * 3).steps : nil,
                                      latencyHistogram: histograms ? taskHistograms(id: id, steps: n * 3).latency : nil))
            }
        }
        // A native child: only its parent's cancellation reaches it.
        tasks.append(TaskInfo(id: 44, parentID: 1, name: nil, origin: .asyncLet, state: .suspended(.sleep(until: 9_000 * ms)),
                              createdAt: 30 * ms))
        return tasks
    }

    /// `count` tasks, each the child of the task with a quarter of its id.
    static func generated(count: Int) -> [TaskInfo] {
        let states: [TaskState] = [.running, .suspended(.ready), .pending, .done(result: nil)]
        return (1...max(1, count)).map { i in
            TaskInfo(id: TaskID(i), parentID: i == 1 ? nil : TaskID(i / 4), name: "task-\(i)",
                     state: states[i % states.count], createdAt: 0, steps: UInt64(i))
        }
    }

    /// The loop's stats; with `series`, its one-second series up to `now` and its
    /// histograms, which depend on `now`'s second alone (so a capture is reproducible).
    static func stats(_ tasks: [TaskInfo], pulls: UInt64, now: Nanos = 0, series: Bool = false) -> LoopStats {
        var counts: [TaskStateKind: Int] = [:]
        for task in tasks { counts[task.state.kind, default: 0] += 1 }
        var stats = LoopStats(tasksByState: counts, totalSpawned: UInt64(tasks.count), totalSteps: pulls * 10,
                              stepsPerSecond: 1_000, busyFraction: 0.25, readyQueueDepth: 2, pendingTimers: 3,
                              lagLast: 200_000, lagMax: 1_500_000)
        guard series else { return stats }
        let second = now / 1_000_000_000
        let first = second >= UInt64(LoopSeries.capacity) ? second - UInt64(LoopSeries.capacity) + 1 : 0
        stats.series = LoopSeries(samples: (first...second).map { sample(second: $0, counts: counts) })
        let n = second + 1
        stats.stepHistogram = histogram([(20_000, 100 * n), (150_000, 20 * n), (2 * ms, n), (40 * ms, 1)])
        stats.latencyHistogram = histogram([(5_000, 80 * n), (60_000, 5 * n)])
        stats.lagHistogram = histogram([(150_000, 10 * n), (3 * ms, 1)])
        stats.busyTotal = n * 250 * ms
        return stats
    }

    /// Second `s` of the fake loop's life: a gentle wave, and a spike every 30 s (busy 90%,
    /// lag 8 ms, 12 jobs ready).
    static func sample(second s: UInt64, counts: [TaskStateKind: Int]) -> LoopSample {
        let spike = s % 30 == 29
        var byState = counts
        byState[.suspended, default: 0] += Int(s % 5)
        return LoopSample(at: s * 1_000_000_000, tasksByState: byState, spawned: s % 4, steps: 800 + (s * 37) % 400,
                          busy: spike ? 0.9 : 0.2 + Double((s * 7) % 10) / 60, lagP99: spike ? 8 * ms : 200_000 + (s % 4) * 50_000,
                          readyQueueDepth: spike ? 12 : Int(s % 4))
    }

    static func histogram(_ values: [(Nanos, UInt64)], precision: Int = 4) -> DurationHistogram {
        var h = DurationHistogram(precision: precision)
        for (value, times) in values { h.record(value, times: times) }
        return h
    }

    /// A worker's step times and latencies, from its id and steps.
    static func taskHistograms(id: TaskID, steps: Int) -> (steps: DurationHistogram, latency: DurationHistogram) {
        let k = Nanos(id % 5 + 1)
        return (histogram([(k * 10_000, UInt64(steps)), (k * 300_000, UInt64(steps / 3)), (2 * ms, UInt64(id % 3))]),
                histogram([(k * 4_000, UInt64(steps)), (k * 90_000, UInt64(id % 4))]))
    }

    static let executors = [
        ExecutorInfo(name: "loop", kind: .loop, workers: [WorkerInfo(name: "loop", item: 1, awaitingTask: 1)],
                     queue: [QueuedItem(item: 2, task: 3, enqueuedAt: 0), QueuedItem(item: 3, task: 4, enqueuedAt: 0)]),
        ExecutorInfo(name: "io", kind: .threads,
                     workers: [WorkerInfo(name: "io-1", item: 21, awaitingTask: 7, since: 0, label: "read file"),
                               WorkerInfo(name: "io-2")],
                     queue: [QueuedItem(item: 22, task: 8, enqueuedAt: 0, label: "write file")], queueDepth: 4),
    ]
}

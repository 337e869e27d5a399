@_spi(Bench) import AsyncTopRuntime
import Foundation

/// Runs workloads on the loop (instrumented or bare) or on the global executor.
struct Runner: Sendable {
    let mode: Mode
    let n: Int
    var conns = 10
    var size = 1024

    func run(_ workload: Workload) async throws -> Measured {
        switch workload {
        case .render: return DashboardWorkloads.render(n: n)
        case .lints: return DashboardWorkloads.lints(n: n)
        case .dashboardCPU: return try await DashboardWorkloads.dashboardCPU(n: n)
        case .monitorStream: return try await MonitorWorkloads.stream(n: n)
        case .monitorDelta: return try await MonitorWorkloads.steadyDeltas(n: n)
        case .replaySeek: return try await MonitorWorkloads.seek(n: n)
        case .histogramRecord:
            let start = now()
            let cost = RecordingCost.measure(steps: n)
            precondition(cost.checksum != 0)
            return Measured(seconds: now() - start, ops: n, extras: ["ns_per_step": cost.nanosPerStep])
        case .observerSpawn: return try ObserverWorkloads.run(workload: "spawn", tasks: n)
        case .observerMix: return try ObserverWorkloads.run(workload: "mix", tasks: n)
        case .observerFloor: return try ObserverWorkloads.floor(workload: "mix", tasks: n)
        default: break
        }
        switch mode {
        case .global:
            return try await onGlobal(workload)
        case .instrumented, .bare:
            let n = self.n, conns = self.conns, size = self.size
            let retention = RetentionPolicy(maxFinished: 10_000, maxAge: 60)
            return try await EventLoop.run(name: "bench", instrumented: mode == .instrumented, retention: retention,
                                           reportLeftovers: { _ in }) {
                try await Self.onLoop(workload, n: n, conns: conns, size: size)
            }
        }
    }

    /// step_scale: how many times each of `n` tasks steps (about two million steps in all).
    static func stepScaleRounds(_ n: Int) -> Int { max(4, 2_000_000 / n) }

    static func onLoop(_ workload: Workload, n: Int, conns: Int = 10, size: Int = 1024) async throws -> Measured {
        switch workload {
        case .spawnGather:
            let start = now()
            let tasks = try (0..<n).map { i in try spawn { i } }
            var sum = 0
            for task in tasks { sum += try await task.value }
            let seconds = now() - start
            precondition(sum == n * (n - 1) / 2)
            return Measured(seconds: seconds, ops: n)
        case .yieldPingpong:
            let start = now()
            let spun = try await spawn { () async throws -> Int in
                for _ in 0..<n { try await sleep(0) }
                return n
            }.value
            precondition(spun == n)
            return Measured(seconds: now() - start, ops: n)
        case .stepScale:
            let rounds = Self.stepScaleRounds(n)
            let start = now()
            let tasks = try (0..<n).map { _ in
                try spawn { () async throws -> Int in
                    for _ in 0..<rounds { try await sleep(0) }
                    return rounds
                }
            }
            var steps = 0
            for task in tasks { steps += try await task.value }
            let seconds = now() - start
            precondition(steps == n * rounds)
            return Measured(seconds: seconds, ops: steps, extras: ["ns_per_step": seconds / Double(steps) * 1e9])
        case .yieldNative:
            let start = now()
            _ = try await spawn { () async -> Int in
                for _ in 0..<n { await Task.yield() }
                return n
            }.value
            return Measured(seconds: now() - start, ops: n)
        case .timers:
            let delays = timerDelays(n)
            let start = now()
            let tasks = try delays.map { delay in
                try spawn { () async throws -> Double in
                    let t0 = now()
                    try await sleep(delay)
                    return now() - t0 - delay
                }
            }
            var lateness: [Double] = []
            lateness.reserveCapacity(n)
            for task in tasks { lateness.append(try await task.value) }
            return Measured(seconds: now() - start, ops: n, extras: latenessExtras(lateness, delays: delays, seconds: now() - start))
        case .allTasksSnapshot:
            // N tasks, 1% of them stepping whenever the main task yields.
            let event = Event(name: "never")
            let parked = try (0..<n).map { i in
                try spawn { if i % 100 == 0 { while true { try await sleep(0) } } else { try await event.wait() } }
            }
            try await sleep(0)
            _ = try allTasks()  // the task values made once, as any first look does
            // Nothing changed between two calls.
            let start = now()
            for _ in 0..<100 {
                let count = try liveTaskCount()
                precondition(count == n + 1)
            }
            let seconds = now() - start
            // 1% of the tasks changed between two calls.
            var changedSeconds = 0.0
            for _ in 0..<100 {
                try await sleep(0)
                let t0 = now()
                let count = try liveTaskCount()
                changedSeconds += now() - t0
                precondition(count == n + 1)
            }
            let loop = EventLoop.current!
            let snapStart = now()
            for _ in 0..<20 { precondition(loop.snapshot().tasks.count >= n + 1) }
            let snapshotSeconds = (now() - snapStart) / 20
            for task in parked { task.cancel() }
            return Measured(seconds: seconds, ops: 100, extras: [
                "per_call_us": seconds / 100 * 1e6, "ns_per_task": seconds / 100 / Double(n + 1) * 1e9,
                "changed_per_call_us": changedSeconds / 100 * 1e6,
                "snapshot_per_call_us": snapshotSeconds * 1e6,
            ])
        case .memoryPerTask:
            let event = Event(name: "never")
            let rss0 = currentRSSBytes()
            let start = now()
            let parked = try (0..<n).map { _ in try spawn { try await event.wait() } }
            try await sleep(0)
            let seconds = now() - start
            let rss1 = currentRSSBytes()
            for task in parked { task.cancel() }
            return Measured(seconds: seconds, ops: n, extras: ["bytes_per_task": Double(rss1 - rss0) / Double(n)])
        case .queuePipeline: return try await ToolkitWorkloads.queuePipeline(n: n)
        case .semaphoreFanout: return try await ToolkitWorkloads.semaphoreFanout(n: n)
        case .cancelStorm: return try await ToolkitWorkloads.cancelStorm(n: n)
        case .actorCalls: return try await ToolkitWorkloads.actorCalls(n: n)
        case .stacks: return try await StackWorkloads.stacks(n: n)
        case .toThread: return try await ExecutorWorkloads.toThreadOnLoop(n: n)
        case .processRoundtrip: return try await ExecutorWorkloads.processRoundtrip(n: n)
        case .idleConnections: return try await IOWorkloads.idleConnections(n: n)
        case .echo: return try await IOWorkloads.echo(n: n, conns: conns, size: size)
        case .render, .lints, .dashboardCPU, .monitorStream, .monitorDelta, .replaySeek, .histogramRecord, .observerSpawn, .observerMix,
             .observerFloor:
            fatalError("run before the mode switch")
        }
    }

    func onGlobal(_ workload: Workload) async throws -> Measured {
        let n = self.n
        switch workload {
        case .spawnGather:
            let start = now()
            let tasks = (0..<n).map { i in Task { i } }
            var sum = 0
            for task in tasks { sum += await task.value }
            precondition(sum == n * (n - 1) / 2)
            return Measured(seconds: now() - start, ops: n)
        case .stepScale:
            let rounds = Self.stepScaleRounds(n)
            let start = now()
            let tasks = (0..<n).map { _ in
                Task { () async -> Int in
                    for _ in 0..<rounds { await Task.yield() }
                    return rounds
                }
            }
            var steps = 0
            for task in tasks { steps += await task.value }
            let seconds = now() - start
            precondition(steps == n * rounds)
            return Measured(seconds: seconds, ops: steps, extras: ["ns_per_step": seconds / Double(steps) * 1e9])
        case .yieldPingpong, .yieldNative:
            let start = now()
            _ = await Task { () async -> Int in
                for _ in 0..<n { await Task.yield() }
                return n
            }.value
            return Measured(seconds: now() - start, ops: n)
        case .timers:
            let delays = timerDelays(n)
            let start = now()
            let tasks = delays.map { delay in
                Task { () async throws -> Double in
                    let t0 = now()
                    try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                    return now() - t0 - delay
                }
            }
            var lateness: [Double] = []
            for task in tasks { lateness.append(try await task.value) }
            return Measured(seconds: now() - start, ops: n, extras: latenessExtras(lateness, delays: delays, seconds: now() - start))
        case .memoryPerTask:
            let gate = ParkingLot()
            let rss0 = currentRSSBytes()
            let start = now()
            let parked = (0..<n).map { _ in Task { await gate.park() } }
            while gate.count < n { await Task.yield() }
            let seconds = now() - start
            let rss1 = currentRSSBytes()
            gate.releaseAll()
            for task in parked { await task.value }
            return Measured(seconds: seconds, ops: n, extras: ["bytes_per_task": Double(rss1 - rss0) / Double(n)])
        case .toThread: return try await ExecutorWorkloads.toThreadOnGlobal(n: n)
        case .processRoundtrip: return try await ExecutorWorkloads.processRoundtrip(n: n)
        case .queuePipeline: return try await ToolkitWorkloads.queuePipelineGlobal(n: n)
        case .semaphoreFanout: return try await ToolkitWorkloads.semaphoreFanoutGlobal(n: n)
        case .cancelStorm: return try await ToolkitWorkloads.cancelStormGlobal(n: n)
        case .actorCalls: return await ToolkitWorkloads.actorCallsGlobal(n: n)
        case .allTasksSnapshot, .render, .lints, .dashboardCPU, .monitorStream, .monitorDelta, .replaySeek, .stacks, .histogramRecord,
             .echo, .idleConnections, .observerSpawn, .observerMix, .observerFloor:
            fatalError("validated away")
        }
    }
}

func latenessExtras(_ lateness: [Double], delays: [Double], seconds: Double) -> [String: Double] {
    let sorted = lateness.sorted()
    let ideal = delays.max() ?? 0
    func quantile(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] }
    return [
        "ideal_s": ideal, "overhead_s": seconds - ideal,
        "late_mean_ms": sorted.reduce(0, +) / Double(sorted.count) * 1e3, "late_p50_ms": quantile(0.5) * 1e3,
        "late_p99_ms": quantile(0.99) * 1e3, "late_max_ms": (sorted.last ?? 0) * 1e3,
    ]
}

/// Tasks of the global executor parked on plain continuations, for memory_per_task.
final class ParkingLot: @unchecked Sendable {
    private let lock = NSLock()
    private var parked: [CheckedContinuation<Void, Never>] = []

    var count: Int { lock.withLock { parked.count } }

    func park() async {
        await withCheckedContinuation { continuation in lock.withLock { parked.append(continuation) } }
    }

    func releaseAll() {
        let all = lock.withLock { defer { parked = [] }; return parked }
        for continuation in all { continuation.resume() }
    }
}

/// `allTasks().count`, the list let go of before it returns: its release is timed too.
@inline(never)
func liveTaskCount() throws -> Int { try allTasks().count }

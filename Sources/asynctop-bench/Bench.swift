import ArgumentParser
import AsyncTopRuntime
import Foundation

/// Where the workloads run: the instrumented loop, the same loop with instrumentation
/// off, or Swift's default (global) executor.
enum Mode: String, ExpressibleByArgument, CaseIterable, Sendable {
    case instrumented, bare, global
}

enum Workload: String, ExpressibleByArgument, CaseIterable, Sendable {
    case spawnGather = "spawn_gather"
    case yieldPingpong = "yield_pingpong"
    case yieldNative = "yield_native"
    case stepScale = "step_scale"
    case timers
    case allTasksSnapshot = "all_tasks_snapshot"
    case memoryPerTask = "memory_per_task"
    case render
    case lints
    case dashboardCPU = "dashboard_cpu"
    case toThread = "to_thread"
    case processRoundtrip = "process_roundtrip"
    case queuePipeline = "queue_pipeline"
    case semaphoreFanout = "semaphore_fanout"
    case cancelStorm = "cancel_storm"
    case monitorStream = "monitor_stream"
    case monitorDelta = "monitor_delta"
    case replaySeek = "replay_seek"
    case actorCalls = "actor_calls"
    case stacks
    case histogramRecord = "histogram_record"
    case echo
    case idleConnections = "idle_connections"
    case observerSpawn = "observer_spawn"
    case observerMix = "observer_mix"
    case observerFloor = "observer_floor"
}

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asynctop-bench",
        abstract: "Runs one benchmark workload and prints one JSON line.",
        discussion: """
        Workloads: \(Workload.allCases.map(\.rawValue).joined(separator: ", ")).
        yield_native spins on Task.yield() directly: the floor yield_pingpong is compared to.
        step_scale: N tasks that each yield in turn, about 2,000,000 steps in all: the cost of a
        step (ns_per_step) as the number of tasks grows (each step touches another task).
        actor_calls: a loop task calls a loop-isolated actor (LoopActor) N times; its extras
        time the same through a Mutex and through a plain actor of the global executor.
        stacks: N tasks parked three calls deep; the first stack (cold), single stacks (warm),
        then all the rest at once.
        histogram_record: what a step records into the loop's and its task's histograms, timed
        alone over N steps of varied durations (ns per step in its extras).
        echo: N round trips of --size bytes over --conns loopback connections to an echo server
        of the loop (startServer/openConnection), one message in flight per connection.
        idle_connections: N idle loopback connections accepted by the loop (their far ends in a
        second process), then the process's CPU share over 3 s of idling (idle_cpu_percent).
        Both need the loop's reactor: not applicable on the global executor.
        observer_spawn, observer_mix: a plain program (asynctop-plain-fixture) of N tasks in
        groups (spawn) or N request handlers (mix: an actor call, a yield, an async let and a
        continuation each) run bare, watched by `asynctop run`'s observer with nobody attached,
        and with a client reading; 9 rounds interleaved, medians and paired ratios.
        observer_floor: the mix, bare, then under the observer keeping its interposed functions
        and wrapped run function but recording nothing (ASYNCTOP_OBSERVE_FLOOR=1), then also
        reading the clock three times a step (=2), then whole: what seeing each job costs
        before any record, 21 rounds interleaved: paired medians, and minimum over minimum.
        monitor_delta: N parked tasks and N/100 waking every 0.1 s: ten seconds of 10 Hz updates
        as the monitor makes them, bytes per changed task (binary and JSON) and the loop thread's share.
        scripts/asyncio_workloads.py has the same workloads for asyncio; scripts/bench-compare runs both.
        """)

    /// The process_roundtrip workload's workers are this program in worker mode.
    static func main() async {
        ExecutorWorkloads.registerWorkerFunctions()
        ProcessPool.runWorkerIfRequested()
        IOWorkloads.runIdlePeerIfRequested()
        await main(nil)
    }

    @Argument(help: "The workload.") var workload: Workload
    @Argument(help: "N, the workload's size.") var n: Int
    @Option(help: "instrumented, bare or global.") var mode: Mode = .instrumented
    @Option(help: "echo: the number of connections.") var conns: Int = 10
    @Option(help: "echo: the message size in bytes.") var size: Int = 1024

    func validate() throws {
        guard n > 0 else { throw ValidationError("N must be positive") }
        if mode != .instrumented, [.histogramRecord, .allTasksSnapshot, .render, .lints, .dashboardCPU, .monitorStream, .monitorDelta, .replaySeek, .stacks].contains(workload) {
            throw ValidationError("\(workload.rawValue) needs an instrumented loop: only it keeps a registry")
        }
        if mode == .global, [.echo, .idleConnections].contains(workload) {
            throw ValidationError("\(workload.rawValue) is not applicable on the global executor: it needs the loop's reactor")
        }
        guard conns > 0, size > 0 else { throw ValidationError("--conns and --size must be positive") }
    }

    func run() async throws {
        let measured = try await Runner(mode: mode, n: n, conns: conns, size: size).run(workload)
        var record: [String: Any] = [
            "workload": workload.rawValue, "n": n, "mode": mode.rawValue, "seconds": measured.seconds,
            "ops": measured.ops, "ops_per_s": Double(measured.ops) / measured.seconds,
            "us_per_op": measured.seconds * 1e6 / Double(measured.ops), "peak_rss_kib": peakRSSKiB(),
        ]
        for (key, value) in measured.extras { record[key] = value }
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

/// What a workload measured: the timed region, the operation count, and extras.
struct Measured: Sendable {
    var seconds: Double
    var ops: Int
    var extras: [String: Double] = [:]
}

func peakRSSKiB() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss
}

/// Resident memory now, in bytes, from /proc/self/statm.
func currentRSSBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let pages = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Wall-clock seconds of the monotonic clock.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// The timers' delays (the Python side draws the same): splitmix64 with seed 42, uniform on [0, 10 ms).
func timerDelays(_ n: Int) -> [Double] {
    var state: UInt64 = 42
    return (0..<n).map { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) * 0x1.0p-53 * 0.010
    }
}

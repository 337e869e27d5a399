import AsyncTopRuntime
import Foundation
import Synchronization

extension DemoCatalogue {
    static let processPool = Demo(
        name: "process-pool",
        summary: "naive fib on 2 worker processes while a ticker on the loop keeps ticking",
        expected: "6 results right, computed by 2 worker processes; the ticker ticked through every call",
        about: """
            CPU-bound work belongs in other processes: six naive Fibonacci numbers (a few tenths of a \
            second each in a release build) run on a `ProcessPoolExecutor` of two worker processes while \
            a `ticker` task on the loop ticks every 0.05 s. The loop stays responsive: the ticker ticks \
            while every call computes (on the loop, no tick could happen during one), its longest gap a \
            few milliseconds over 0.05 s on an idle machine; and the results, checked against a cheap \
            iterative Fibonacci, come from two other pids. Higher speeds compute smaller numbers.

            In the dashboard the `fib(N)` tasks wait on "fib workers item N"; the executors view (`x`) \
            shows the pool's two workers named by pid, each running a call, and the others queued. \
            `ticker` keeps finishing short sleeps all along.
            """
    ) { loop in
        let pool = try ProcessPoolExecutor(maxWorkers: 2, name: "fib workers", executablePath: Demo.workerExecutable)
        do {
            let observed = try await computeFibs(on: pool, loop: loop)
            await shutDown(pool)
            return observed
        } catch {
            await shutDown(pool)
            throw error
        }
    }

    /// The name the demos' Fibonacci function is registered under in the workers.
    static let fibFunction = "demos.fib"

    /// Registers the functions the demos run in process pool workers. A program that runs
    /// the demos calls it at start, before `ProcessPool.runWorkerIfRequested()`, so that
    /// its worker copies know them too.
    public static func registerWorkerFunctions() {
        ProcessPool.register(fibFunction) { (n: Int) -> FibResult in
            let started = monotonicNanos()
            let value = naiveFib(n)
            return FibResult(n: n, value: value, pid: Int(getpid()), started: started, ended: monotonicNanos())
        }
    }

    private static func computeFibs(on pool: ProcessPoolExecutor, loop: EventLoop) async throws -> String {
        let working = Event(name: "fibs done")
        // Also when a call fails or the demo is cancelled: the ticker stops with the work.
        defer { working.set() }
        let tick = Demo.scaled(0.05)
        // The ticks' times on the system's monotonic clock, which the workers read too.
        let ticker = try spawn(name: "ticker") { () async throws -> (ticks: [UInt64], longest: Double) in
            var (ticks, longest, last) = ([UInt64](), 0.0, loop.time())
            while !working.isSet {
                try await sleep(tick)
                let now = loop.time()
                (longest, last) = (max(longest, now - last), now)
                ticks.append(monotonicNanos())
            }
            return (ticks, longest)
        }
        // Starting a worker execs a program and waits for it to say it is ready: not on the loop.
        try await AsyncTopRuntime.toThread(label: "start 2 worker processes") { try pool.startWorkers() }
        // Each step down halves the work roughly by 1.6: smaller numbers at higher speeds.
        let smaller = max(0, Int((log(Demo.speed) / log(1.618)).rounded()))
        let sizes = [37, 38, 39, 37, 38, 39].map { $0 - smaller }
        let calls = try sizes.map { n in
            try spawn(name: "fib(\(n))") { () async throws -> FibResult in
                let started = loop.time()
                let result = try await pool.run(fibFunction, n, returning: FibResult.self, label: "fib(\(n))")
                say("fib(\(n)) = \(result.value) from pid \(result.pid) after \(String(format: "%.2f", loop.time() - started)) s")
                return result
            }
        }
        var results: [FibResult] = []
        for call in calls { results.append(try await call.value) }
        working.set()
        let (ticks, longest) = try await ticker.value
        say("ticker: \(ticks.count) ticks of \(String(format: "%.3f", tick)) s, longest gap \(String(format: "%.3f", longest)) s")

        let right = results.filter { $0.value == iterativeFib($0.n) }.count
        let pids = Set(results.map(\.pid))
        let elsewhere = pids.contains(Int(getpid())) ? " (one of them this one)" : ""
        // Work on the loop would leave no tick inside a call. (A gap over the 0.1 s slow
        // step threshold alone can be a busy machine's scheduler, not the loop held.)
        let stalled = results.filter { call in !ticks.contains { call.started < $0 && $0 < call.ended } }
        return "\(right) results right, computed by \(pids.count) worker processes\(elsewhere); "
            + (stalled.isEmpty ? "the ticker ticked through every call"
                : "the ticker stalled during \(stalled.map { "fib(\($0.n))" }.joined(separator: ", "))")
    }

    /// Shuts the pool down on a thread: it waits for running calls and reaps every worker.
    private static func shutDown(_ pool: ProcessPoolExecutor) async {
        _ = try? await AsyncTopRuntime.toThread(label: "shut the pool down") { pool.shutdown(wait: true, cancelPending: true) }
    }
}

/// A Fibonacci number, the process that computed it and when (``monotonicNanos()``).
struct FibResult: Codable, Sendable {
    let n: Int
    let value: Int
    let pid: Int
    let started: UInt64
    let ended: UInt64
}

/// The system's monotonic clock, the same in every process of the machine.
func monotonicNanos() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Fibonacci the slow way, on purpose: about 1.6^n calls.
func naiveFib(_ n: Int) -> Int { n < 2 ? n : naiveFib(n - 1) + naiveFib(n - 2) }

func iterativeFib(_ n: Int) -> Int {
    var (a, b) = (0, 1)
    for _ in 0..<max(0, n) { (a, b) = (b, a + b) }
    return a
}

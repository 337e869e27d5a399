import AsyncTopRuntime
import Foundation
import Synchronization

/// The executor workloads: `to_thread` (also in scripts/asyncio_workloads.py), and a
/// process pool's round trip.
enum ExecutorWorkloads {
    /// The width: 16 threads, 16 worker coroutines, so 16 calls in flight.
    static let width = 16

    /// Functions this program serves as its own process pool worker.
    static func registerWorkerFunctions() {
        ProcessPool.register("trivial") { (i: Int) -> Int in i }
    }

    /// `trivial(i)`, run on a pool thread.
    @inline(never)
    static func trivial(_ i: Int) -> Int { i }

    /// A 16-thread pool with every thread started (untimed), as the Python side pre-warms too.
    static func warmPool() async throws -> ThreadPoolExecutor {
        let pool = try ThreadPoolExecutor(maxWorkers: width, name: "bench")
        let arrived = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<width {
                group.addTask {
                    try await runInExecutor(pool) {
                        _ = arrived.next(below: .max)
                        // Hold each thread until all have started, so none is reused.
                        let deadline = now() + 1
                        while arrived.taken < width && now() < deadline { usleep(100) }
                    }
                }
            }
            try await group.waitForAll()
        }
        return pool
    }

    /// 16 worker tasks share a counter; each takes the next index and adds
    /// `await toThread { trivial(i) }` until N calls were made.
    static func toThreadOnLoop(n: Int) async throws -> Measured {
        let pool = try await warmPool()
        EventLoop.current!.setDefaultExecutor(pool)
        let counter = Counter()
        let start = now()
        let workers = try (0..<width).map { _ in
            try spawn { () async throws -> Int in
                var sum = 0
                while let i = counter.next(below: n) { sum += try await toThread { trivial(i) } }
                return sum
            }
        }
        var total = 0
        for worker in workers { total += try await worker.value }
        let seconds = now() - start
        precondition(total == n * (n - 1) / 2)
        pool.shutdown()
        return Measured(seconds: seconds, ops: n)
    }

    /// The same on the global executor, with `runInExecutor` on the same pool.
    static func toThreadOnGlobal(n: Int) async throws -> Measured {
        let pool = try await warmPool()
        let counter = Counter()
        let start = now()
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<width {
                group.addTask {
                    var sum = 0
                    while let i = counter.next(below: n) { sum += try await runInExecutor(pool) { trivial(i) } }
                    return sum
                }
            }
            return try await group.reduce(0, +)
        }
        let seconds = now() - start
        precondition(total == n * (n - 1) / 2)
        pool.shutdown()
        return Measured(seconds: seconds, ops: n)
    }

    /// N sequential calls of `trivial` in a one-worker process pool, started and warmed up
    /// first (untimed): the round trip of a call through the pipes.
    static func processRoundtrip(n: Int) async throws -> Measured {
        let pool = try ProcessPoolExecutor(maxWorkers: 1, name: "bench-procs")
        try pool.startWorkers()
        for i in 0..<100 {
            let echoed = try await pool.run("trivial", i, returning: Int.self)
            precondition(echoed == i)
        }
        let start = now()
        var sum = 0
        for i in 0..<n { sum += try await pool.run("trivial", i, returning: Int.self) }
        let seconds = now() - start
        precondition(sum == n * (n - 1) / 2)
        pool.shutdown()
        return Measured(seconds: seconds, ops: n, extras: ["us_per_roundtrip": seconds / Double(n) * 1e6])
    }
}

/// The workers' shared counter: the next index below N, or nil when all were taken.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)

    func next(below n: Int) -> Int? {
        let i = value.add(1, ordering: .relaxed).oldValue
        return i < n ? i : nil
    }

    /// How many indices were taken.
    var taken: Int { value.load(ordering: .relaxed) }
}

import AsyncTopRuntime
import Foundation

/// The twins of to_thread.py, executor.py and run_coroutine_threadsafe.py: real threads,
/// blocking.
enum ThreadTwins {
    static func toThread(_ log: EventLog) async throws {
        @Sendable func blocking(_ name: String, _ n: Int) -> String {
            Thread.sleep(forTimeInterval: Double(n) * tick)
            log("\(name) finished on a thread")
            return name
        }
        let side = try spawn {
            try await ticks(1)
            log("the loop ran meanwhile")
        }
        let long = try spawn { try await AsyncTopRuntime.toThread { blocking("long", 4) } }
        let short = try spawn { try await AsyncTopRuntime.toThread { blocking("short", 2) } }
        log("gather returned \(try await gather(long, short).joined(separator: ", "))")
        try await side.value
    }

    static func executor(_ log: EventLog) async throws {
        let pool = try ThreadPoolExecutor(maxWorkers: 1, name: "single")
        defer { pool.shutdown() }
        let side = try spawn {
            try await ticks(3)
            log("the loop ran at tick 3")
            try await ticks(2)
            log("the loop ran at tick 5")
        }
        let calls = try ["a", "b", "c"].map { name in
            try spawn {
                try await runInExecutor(pool) { () -> String in
                    Thread.sleep(forTimeInterval: 2 * tick)
                    log("\(name) finished on the pool's thread")
                    return name
                }
            }
        }
        log("gather returned \(try await gather(calls).joined(separator: ", "))")
        try await side.value
    }

    static func runCoroutineThreadsafe(_ log: EventLog) async throws {
        @Sendable func coroutine() async throws {
            log("coroutine started")
            do {
                try await ticks(10)
            } catch let error as CancellationError {
                await cleanupTicks(1)
                log("coroutine caught \(spelling(of: error)), re-raises")
                throw error
            }
            log("coroutine finished")
        }
        guard let loop = EventLoop.current else { throw LoopError.notOnLoop("runCoroutineThreadsafe scenario") }
        try await AsyncTopRuntime.toThread {
            let future = try loop.runCoroutineThreadsafe { try await coroutine() }
            do {
                try future.result(timeout: 2 * tick)
                log("result returned")
            } catch {
                log("thread: result raised \(spelling(of: error)), done \(spelling(of: future.done))")
            }
            log("thread: cancel returned \(spelling(of: future.cancel()))")
        }
        log("thread returned")
        try await ticks(3)
        log("end")
    }
}

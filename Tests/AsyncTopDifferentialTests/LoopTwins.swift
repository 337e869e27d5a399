import AsyncTopRuntime

/// The twins of yield_order.py, task_cancel.py, future.py and future_callback_order.py:
/// the loop's own scheduling, tasks and futures.
enum LoopTwins {
    static func yieldOrder(_ log: EventLog) async throws {
        @Sendable func stepper(_ name: String) async throws {
            for step in 0..<3 {
                log("\(name) step \(step)")
                try await sleep(0)
            }
        }
        guard let loop = EventLoop.current else { throw LoopError.notOnLoop("yield order scenario") }
        loop.callSoon { log("callback 1") }
        let a = try spawn { try await stepper("a") }
        loop.callSoon { log("callback 2") }
        let b = try spawn { try await stepper("b") }
        log("main yields")
        try await sleep(0)
        log("main resumed")
        _ = try await gather(a, b)
        log("end")
    }

    static func taskCancel(_ log: EventLog) async throws {
        @Sendable func body(_ name: String, _ n: Int, swallow: Bool = false) async throws -> String {
            log("\(name) started")
            do {
                try await ticks(n)
            } catch let error as CancellationError {
                log("\(name) caught CancelledError")
                if swallow { return "\(name) swallowed" }
                throw error
            }
            log("\(name) finished")
            return "\(name) value"
        }
        let early = try spawn { try await body("early", 1) }
        log("cancel before it ran returned \(spelling(of: early.cancel()))")
        do {
            _ = try await early.value
        } catch let error as CancellationError {
            log("awaiting early raised \(spelling(of: error)), cancelled \(spelling(of: early.cancelled))")
        }

        let done = try spawn { try await body("done", 1) }
        _ = try await done.value
        log("cancel of a finished task returned \(spelling(of: done.cancel())), cancelled \(spelling(of: done.cancelled))")

        let stubborn = try spawn { try await body("stubborn", 5, swallow: true) }
        try await ticks(1)
        log("cancel returned \(spelling(of: stubborn.cancel()))")
        log("awaiting stubborn gave \(try await stubborn.value), cancelled \(spelling(of: stubborn.cancelled))")
    }

    static func future(_ log: EventLog) async throws {
        @Sendable func awaiter(_ future: Future<Int>, _ name: String) async throws {
            do {
                log("\(name) got \(try await future.value)")
            } catch let error where !(error is CancellationError) {
                log("\(name) raised \(spelling(of: error))")
            }
        }
        let future = Future<Int>()
        var tasks = try ["w1", "w2"].map { name in try spawn { try await awaiter(future, name) } }
        try await ticks(1)
        do {
            _ = try future.result()
        } catch {
            log("result of a pending future raised \(spelling(of: error))")
        }
        try future.setResult(42)
        log("set, done \(spelling(of: future.done))")
        _ = try await gather(tasks)
        do {
            try future.setResult(43)
        } catch {
            log("a second set_result raised \(spelling(of: error))")
        }
        log("result \(try future.result()), cancel returned \(spelling(of: future.cancel()))")

        let failed = Future<Int>()
        tasks = try ["w3", "w4"].map { name in try spawn { try await awaiter(failed, name) } }
        try await ticks(1)
        try failed.setException(Boom("set"))
        _ = try await gather(tasks)
        log("exception \(try failed.exception().map(spelling(of:)) ?? "None")")

        let cancelled = Future<Int>()
        let task = try spawn { try await awaiter(cancelled, "w5") }
        try await ticks(1)
        log("cancel returned \(spelling(of: cancelled.cancel())), cancelled \(spelling(of: cancelled.cancelled))")
        do {
            try await task.value
        } catch let error as CancellationError {
            log("w5's task raised \(spelling(of: error))")
        }
    }

    static func futureCallbackOrder(_ log: EventLog) async throws {
        @Sendable func awaiter(_ future: Future<Int>, _ name: String) async throws {
            log("\(name) got \(try await future.value)")
        }
        let future = Future<Int>()
        future.addDoneCallback { log("callback 1 saw \((try? $0.result()).map(String.init) ?? "nothing")") }
        let first = try spawn { try await awaiter(future, "w1") }
        try await ticks(1)
        future.addDoneCallback { log("callback 2 saw \((try? $0.result()).map(String.init) ?? "nothing")") }
        let second = try spawn { try await awaiter(future, "w2") }
        try await ticks(1)
        try future.setResult(7)
        _ = try await gather(first, second)
    }
}

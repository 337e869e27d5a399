import Foundation
import AsyncTopRuntime

/// The twins of gather*.py, as_completed_timeout.py, wait_modes.py, wait_for.py,
/// timeout.py, shield.py and taskgroup*.py. Where Python hands `wait_for` a coroutine,
/// which it wraps in a task, the twin spawns the task itself; `withTimeout` runs its body
/// in a task of its own where `asyncio.timeout` runs it in the awaiting task, which logs
/// the same lines.
enum CombinatorTwins {
    static func gather(_ log: EventLog) async throws {
        @Sendable func work(_ name: String, _ n: Int, fail: Bool = false) async throws -> Int {
            log("\(name) started")
            try await ticks(n)
            if fail {
                log("\(name) raises")
                throw Boom(name)
            }
            log("\(name) finished \(n * 10)")
            return n * 10
        }
        let x = try spawn(name: "x") { try await work("x", 2) }
        let y = try spawn(name: "y") { try await work("y", 1) }
        log("gather returned \(try await AsyncTopRuntime.gather(x, y))")

        let a = try spawn(name: "a") { try await work("a", 1) }
        let b = try spawn(name: "b") { try await work("b", 2, fail: true) }
        let c = try spawn(name: "c") { try await work("c", 3) }
        do {
            log("gather returned \(try await AsyncTopRuntime.gather(a, b, c))")
        } catch {
            log("gather raised \(spelling(of: error))")
        }
        log("c done \(spelling(of: c.done))")
        _ = try await c.value
        log("c done \(spelling(of: c.done)) cancelled \(spelling(of: c.cancelled))")
    }

    static func gatherReturnExceptions(_ log: EventLog) async throws {
        @Sendable func work(_ name: String, _ n: Int, fail: Bool = false) async throws -> Int {
            log("\(name) started")
            do {
                try await ticks(n)
            } catch let error as CancellationError {
                log("\(name) cancelled")
                throw error
            }
            if fail {
                log("\(name) raises")
                throw Boom(name)
            }
            log("\(name) finished \(n * 10)")
            return n * 10
        }
        let a = try spawn(name: "a") { try await work("a", 3) }
        let b = try spawn(name: "b") { try await work("b", 1, fail: true) }
        let c = try spawn(name: "c") { try await work("c", 5) }
        let canceller = try spawn {
            try await ticks(2)
            log("cancelling \(c.name)")
            c.cancel()
        }
        let results = try await AsyncTopRuntime.gather([a, b, c], returnExceptions: true)
        log("gather returned " + results.map(spelling(of:)).joined(separator: ", "))
        try await canceller.value
    }

    static func gatherNestedCancel(_ log: EventLog) async throws {
        @Sendable func leaf(_ name: String) async throws {
            do {
                try await ticks(20)
            } catch let error as CancellationError {
                log("\(name) caught \(spelling(of: error)), re-raises")
                throw error
            }
        }
        @Sendable func middle(_ name: String, _ leaves: [String]) async throws {
            let tasks = try leaves.map { leafName in try spawn(name: leafName) { try await leaf(leafName) } }
            do {
                _ = try await AsyncTopRuntime.gather(tasks)
            } catch let error as CancellationError {
                log("\(name) gather raised \(spelling(of: error))")
                throw error
            }
        }
        @Sendable func outer() async throws {
            let a = try spawn(name: "middle A") { try await middle("middle A", ["leaf a1", "leaf a2"]) }
            let b = try spawn(name: "middle B") { try await middle("middle B", ["leaf b1", "leaf b2"]) }
            do {
                _ = try await AsyncTopRuntime.gather(a, b)
            } catch let error as CancellationError {
                log("outer gather raised \(spelling(of: error))")
                throw error
            }
        }
        let task = try spawn(name: "outer") { try await outer() }
        try await ticks(1)
        log("cancelling outer")
        task.cancel()
        do {
            try await task.value
        } catch let error as CancellationError {
            log("awaiting outer raised \(spelling(of: error))")
        }
        try await ticks(1)
        log("end")
    }

    static func gatherCancelCleanup(_ log: EventLog) async throws {
        @Sendable func leaf(_ name: String, _ cleanup: Int) async throws {
            do {
                try await ticks(20)
            } catch let error as CancellationError {
                log("\(name) caught CancelledError")
                await cleanupTicks(cleanup)
                log("\(name) cleaned up, re-raises")
                throw error
            }
        }
        let task = try spawn {
            let tasks = [try spawn { try await leaf("quick", 1) }, try spawn { try await leaf("slow", 3) }]
            do {
                _ = try await AsyncTopRuntime.gather(tasks)
            } catch let error as CancellationError {
                log("gather raised \(spelling(of: error))")
                throw error
            }
        }
        try await ticks(1)
        log("cancelling")
        task.cancel()
        do {
            try await task.value
        } catch let error as CancellationError {
            log("awaiting the task raised \(spelling(of: error))")
        }
        try await ticks(4)
        log("end")
    }

    static func asCompletedTimeout(_ log: EventLog) async throws {
        let tasks = try [("a", 3), ("b", 1), ("c", 2), ("d", 6)].map { name, n in
            try spawn(name: name) { () async throws -> String in
                try await ticks(n)
                log("\(name) finished")
                return name
            }
        }
        do {
            for try await next in asCompleted(tasks, timeout: 4 * tick) {
                log("as_completed gave \(try await next.value)")
            }
        } catch {
            log("as_completed raised \(spelling(of: error))")
        }
        let d = tasks[3]
        log("d done \(spelling(of: d.done))")
        log("d returned \(try await d.value)")
    }

    static func waitModes(_ log: EventLog) async throws {
        func start(_ specs: [(String, Int, Bool)]) throws -> [TaskHandle<String>] {
            try specs.map { name, n, fail in
                try spawn(name: name) { () async throws -> String in
                    try await ticks(n)
                    if fail {
                        log("\(name) raises")
                        throw Boom(name)
                    }
                    log("\(name) finished")
                    return name
                }
            }
        }
        var (done, pending) = try await wait(start([("a", 1, false), ("b", 2, false)]))
        log("ALL_COMPLETED done \(spelling(of: done)) pending \(spelling(of: pending))")

        (done, pending) = try await wait(start([("c", 1, false), ("d", 3, false)]), returnWhen: .firstCompleted)
        log("FIRST_COMPLETED done \(spelling(of: done)) pending \(spelling(of: pending))")
        _ = try await wait(Array(pending))

        (done, pending) = try await wait(start([("e", 1, false), ("f", 2, true), ("g", 4, false)]), returnWhen: .firstException)
        log("FIRST_EXCEPTION done \(spelling(of: done)) pending \(spelling(of: pending))")
        _ = try await wait(Array(pending))

        let cancelled = try start([("k", 3, false), ("l", 5, false)])
        try await ticks(1)
        cancelled[0].cancel()
        (done, pending) = try await wait(cancelled, returnWhen: .firstException)
        log("FIRST_EXCEPTION with a cancelled task done \(spelling(of: done)) pending \(spelling(of: pending))")

        let tasks = try start([("h", 1, false), ("i", 2, false), ("j", 4, false)])
        (done, pending) = try await wait(tasks, timeout: 3 * tick)
        log("timeout done \(spelling(of: done)) pending \(spelling(of: pending))")
        log("j cancelled \(spelling(of: tasks[2].cancelled))")
        _ = try await wait(Array(pending))
        log("j done \(spelling(of: tasks[2].done)) cancelled \(spelling(of: tasks[2].cancelled))")
    }

    static func waitFor(_ log: EventLog) async throws {
        @Sendable func inner(_ name: String, _ n: Int, swallow: Bool, cleanup: Int) async throws -> String {
            log("\(name) started")
            do {
                try await ticks(n)
            } catch let error as CancellationError {
                log("\(name) caught CancelledError")
                if cleanup > 0 {
                    await cleanupTicks(cleanup)
                    log("\(name) cleaned up")
                }
                if swallow { return "\(name) swallowed" }
                throw error
            }
            log("\(name) finished")
            return "\(name) value"
        }
        @Sendable func call(_ label: String, _ name: String, _ n: Int, _ timeout: Int,
                            swallow: Bool = false, cleanup: Int = 0) async throws {
            do {
                let task = try spawn(name: name) { try await inner(name, n, swallow: swallow, cleanup: cleanup) }
                log("\(label) returned \(try await AsyncTopRuntime.waitFor(task, timeout: Double(timeout) * tick))")
            } catch {
                log("\(label) raised \(spelling(of: error))")
                if error is CancellationError { throw error }
            }
        }
        try await call("in time", "quick", 1, 3)
        try await call("too late", "slow", 5, 2)
        try await call("swallowed", "stubborn", 5, 2, swallow: true)

        let task = try spawn { try await call("cancelled", "cleaner", 10, 10, cleanup: 2) }
        try await ticks(1)
        log("cancelling the awaiting task")
        task.cancel()
        do {
            try await task.value
        } catch let error as CancellationError {
            log("awaiting it raised \(spelling(of: error))")
        }
    }

    static func timeout(_ log: EventLog) async throws {
        @Sendable func body(_ name: String, _ n: Int) async throws -> String {
            log("\(name) started")
            do {
                try await ticks(n)
            } catch let error as CancellationError {
                log("\(name) caught CancelledError")
                throw error
            }
            log("\(name) finished")
            return "\(name) value"
        }
        for (name, n) in [("quick", 1), ("slow", 5)] {
            do {
                let value = try await withTimeout(3 * tick) { try await body(name, n) }
                log("timeout around \(name) gave \(value)")
            } catch {
                log("timeout around \(name) raised \(spelling(of: error))")
            }
        }
    }

    static func shield(_ log: EventLog) async throws {
        let task = try spawn(name: "inner") { () async throws -> String in
            log("inner started")
            try await ticks(3)
            log("inner finished")
            return "inner value"
        }
        let waiting = try spawn(name: "outer") {
            do {
                _ = try await AsyncTopRuntime.shield(task)
            } catch let error as CancellationError {
                log("outer's shield raised \(spelling(of: error))")
                throw error
            }
        }
        try await ticks(1)
        log("cancelling outer")
        waiting.cancel()
        do {
            try await waiting.value
        } catch let error as CancellationError {
            log("awaiting outer raised \(spelling(of: error))")
        }
        log("inner done \(spelling(of: task.done))")
        log("inner returned \(try await task.value)")
        log("inner cancelled \(spelling(of: task.cancelled))")

        do {
            _ = try await AsyncTopRuntime.shield(try spawn { () async throws -> String in
                try await ticks(1)
                log("failing raises")
                throw Boom("inner")
            })
        } catch {
            log("shield of a failing task raised \(spelling(of: error))")
        }
    }

    static func taskGroupCancelsBody(_ log: EventLog) async throws {
        do {
            try await withLoopTaskGroup { group in
                try group.spawn {
                    log("child started")
                    try await ticks(1)
                    log("child raises")
                    throw Boom("child")
                }
                do {
                    try await ticks(3)
                    log("body finished")
                } catch let error as CancellationError {
                    log("body caught \(spelling(of: error))")
                    throw error
                }
            }
        } catch {
            log("group raised \(spelling(of: error))")
        }
        log("end")
    }

    static func taskGroup(_ log: EventLog) async throws {
        @Sendable func child(_ name: String, _ n: Int, cleanup: Int = 0, fail: Bool = false,
                             failOnCancel: Bool = false) async throws -> String {
            log("\(name) started")
            do {
                try await ticks(n)
            } catch let error as CancellationError {
                await cleanupTicks(cleanup)
                log("\(name) cleaned up")
                if failOnCancel {
                    log("\(name) raises while cancelled")
                    throw Boom(name)
                }
                throw error
            }
            if fail {
                log("\(name) raises")
                throw Boom(name)
            }
            log("\(name) finished")
            return name
        }
        do {
            try await withLoopTaskGroup { group in
                try group.spawn { try await child("a", 2, fail: true) }
                try group.spawn { try await child("b", 5, cleanup: 2) }
                try group.spawn { try await child("c", 1) }
                try group.spawn { try await child("d", 5, cleanup: 1, failOnCancel: true) }
                log("body done")
            }
            log("group returned")
        } catch {
            log("group raised \(spelling(of: error))")
        }

        do {
            try await withLoopTaskGroup { group in
                try group.spawn { try await child("g", 5, cleanup: 1, failOnCancel: true) }
                try group.spawn { try await child("h", 5, cleanup: 2) }
                try await ticks(1)
                log("body raises")
                throw Boom("body")
            }
        } catch {
            log("group raised \(spelling(of: error))")
        }

        let task = try spawn {
            do {
                try await withLoopTaskGroup { group in
                    try group.spawn { try await child("e", 10, cleanup: 1) }
                    try group.spawn { try await child("f", 10, cleanup: 2) }
                    log("body done")
                }
                log("group returned")
            } catch {
                log("group raised \(spelling(of: error))")
                throw error
            }
        }
        try await ticks(1)
        log("cancelling the group's task")
        task.cancel()
        do {
            try await task.value
        } catch let error as CancellationError {
            log("awaiting it raised \(spelling(of: error))")
        }
    }
}

/// The twin of deadline_races.py: deadlines that fall due in one iteration with the work
/// they limit, the loop held past both by a blocking call.
enum DeadlineTwins {
    static func races(_ log: EventLog) async throws {
        @Sendable func query(_ name: String, _ n: Int) async throws -> String {
            do {
                try await sleep(Double(n) * tick)
            } catch let error as CancellationError {
                log("\(name) cancelled")
                throw error
            }
            log("\(name) done")
            return "value"
        }
        /// Blocks the loop's thread past every deadline of the race.
        func hold() { usleep(UInt32(4 * tick * 1e6)) }

        func cancelRace(_ name: String, sleep n: Int, cancelAt: Int) async throws {
            let task = try spawn(name: name) { try await query(name, n) }
            try await sleep(0)
            try EventLoop.current!.callLater(Double(cancelAt) * tick) { task.cancel() }
            hold()
            do { log("\(name): \(try await task.value)") } catch { log("\(name): \(spelling(of: error))") }
        }
        func waitForRace(_ name: String, sleep n: Int, timeout: Int) async throws {
            let work = try spawn(name: name) { try await query(name, n) }
            let waiting = try spawn(name: "waiter") { () async throws -> String in
                do { return try await waitFor(work, timeout: Double(timeout) * tick) } catch let error as TimeoutError {
                    return spelling(of: error)
                }
            }
            try await sleep(0)
            hold()
            log("\(name): \(try await waiting.value)")
        }
        func timeoutRace(_ name: String, sleep n: Int, timeout: Int) async throws {
            let waiting = try spawn(name: "waiter") { () async throws -> String in
                do { return try await withTimeout(Double(timeout) * tick) { try await query(name, n) } } catch let error as TimeoutError {
                    return spelling(of: error)
                }
            }
            try await sleep(0)
            try await sleep(0)
            hold()
            log("\(name): \(try await waiting.value)")
        }

        try await cancelRace("cancel due first", sleep: 2, cancelAt: 1)
        try await cancelRace("sleep due first", sleep: 1, cancelAt: 2)
        try await waitForRace("wait_for, deadline due first", sleep: 2, timeout: 1)
        try await waitForRace("wait_for, work due first", sleep: 1, timeout: 2)
        try await timeoutRace("timeout, deadline due first", sleep: 2, timeout: 1)
        try await timeoutRace("timeout, work due first", sleep: 1, timeout: 2)
    }
}

import AsyncTopRuntime
import AsyncTopSync

/// The twins of lock.py, semaphore.py, condition.py, event.py and waiter_cancellation.py.
enum PrimitiveTwins {
    static func lock(_ log: EventLog) async throws {
        let lock = Lock()
        try await lock.acquire()
        log("main acquired, locked \(spelling(of: lock.locked))")
        let workers = try [("w1", 3), ("w2", 1), ("w3", 4), ("w4", 2)].map { name, arrive in
            try spawn {
                try await ticks(arrive)
                log("\(name) asks")
                try await lock.withLock {
                    log("\(name) acquired")
                    try await ticks(1)
                    log("\(name) releases")
                }
            }
        }
        try await ticks(5)
        log("main releases")
        try lock.release()
        _ = try await gather(workers)
        log("locked \(spelling(of: lock.locked))")
        do {
            try lock.release()
        } catch {
            log("release of an unlocked lock raised \(spelling(of: error))")
        }
    }

    static func semaphore(_ log: EventLog) async throws {
        let semaphore = try Semaphore(2)
        let workers = try [("w1", 2), ("w2", 3), ("w3", 3), ("w4", 1)].map { name, hold in
            try spawn {
                log("\(name) asks")
                try await semaphore.withPermit {
                    log("\(name) acquired")
                    try await ticks(hold)
                    log("\(name) releases")
                }
            }
        }
        try await ticks(1)
        log("locked \(spelling(of: semaphore.locked))")
        _ = try await gather(workers)
        log("locked \(spelling(of: semaphore.locked))")

        let bounded = try BoundedSemaphore(1)
        try await bounded.acquire()
        try bounded.release()
        log("bounded released once")
        do {
            try bounded.release()
            log("bounded released twice")
        } catch {
            log("bounded over-release raised \(spelling(of: error))")
        }
    }

    static func condition(_ log: EventLog) async throws {
        let condition = Condition()
        var waiters: [TaskHandle<Void>] = []
        for name in ["w1", "w2", "w3"] {
            waiters.append(try spawn {
                try await condition.withLock {
                    log("\(name) waits")
                    try await condition.wait()
                    log("\(name) woke holding the lock \(spelling(of: condition.locked))")
                }
            })
            try await ticks(1)
        }
        try await condition.withLock {
            log("notify 1")
            try condition.notify(1)
            try await ticks(1)
            log("main releases")
        }
        try await ticks(1)
        try await condition.withLock {
            log("notify all")
            try condition.notifyAll()
        }
        _ = try await gather(waiters)

        let count = Locked(0)
        let task = try spawn {
            try await condition.withLock {
                try await condition.waitFor { count.withLock { $0 } >= 2 }
                log("wait_for saw count \(count.withLock { $0 })")
            }
        }
        for _ in 0..<2 {
            try await ticks(1)
            try await condition.withLock {
                let now = count.withLock { count in
                    count += 1
                    return count
                }
                log("count \(now), notify")
                try condition.notify()
            }
        }
        try await task.value

        do {
            try condition.notify()
        } catch {
            log("notify without the lock raised \(spelling(of: error))")
        }
    }

    static func event(_ log: EventLog) async throws {
        let event = Event()
        @Sendable func waiter(_ name: String) async throws {
            log("\(name) waits")
            try await event.wait()
            log("\(name) woke")
        }
        let waiters = try ["w1", "w2", "w3"].map { name in try spawn { try await waiter(name) } }
        try await ticks(1)
        log("set, was set \(spelling(of: event.isSet))")
        event.set()
        _ = try await gather(waiters)
        try await waiter("late")
        event.clear()
        log("cleared, is set \(spelling(of: event.isSet))")
        do {
            try await waitFor(try spawn { try await event.wait() }, timeout: 2 * tick)
        } catch {
            log("waiting on the cleared event raised \(spelling(of: error))")
        }
    }

    static func waiterCancellation(_ log: EventLog) async throws {
        /// Three waiters in order; the second is cancelled. `wait` returns what was got, if
        /// anything more than the thing itself.
        func lineUp(_ what: String, _ wait: @escaping @Sendable () async throws -> String?) async throws -> [TaskHandle<Void>] {
            var tasks: [TaskHandle<Void>] = []
            for name in ["w1", "w2", "w3"] {
                tasks.append(try spawn {
                    do {
                        let got = try await wait()
                        log("\(name) got \(what)\(got.map { " \($0)" } ?? "")")
                    } catch let error as CancellationError {
                        log("\(name) raised \(spelling(of: error))")
                        throw error
                    }
                })
                try await ticks(1)
            }
            tasks[1].cancel()
            try await ticks(1)
            return tasks
        }
        let lock = Lock()
        try await lock.acquire()
        var waiters = try await lineUp("the lock") { try await lock.acquire(); return nil }
        for _ in 0..<2 {
            try lock.release()
            try await ticks(1)
        }
        try lock.release()
        log("lock locked \(spelling(of: lock.locked))")
        _ = try await gather(waiters, returnExceptions: true)

        let semaphore = try Semaphore(0)
        waiters = try await lineUp("a permit") { try await semaphore.acquire(); return nil }
        try semaphore.release()
        try await ticks(1)
        try semaphore.release()
        _ = try await gather(waiters, returnExceptions: true)
        log("permits left locked \(spelling(of: semaphore.locked))")

        let queue = Queue<String>()
        waiters = try await lineUp("an item") { try await queue.get() }
        try queue.putNowait("first")
        try await ticks(1)
        try queue.putNowait("second")
        _ = try await gather(waiters, returnExceptions: true)
        log("queue empty \(spelling(of: queue.isEmpty))")

        let event = Event()
        waiters = try await lineUp("the event") { try await event.wait(); return nil }
        event.set()
        _ = try await gather(waiters, returnExceptions: true)
    }
}

/// The twin of woken_then_cancelled.py: a waiter woken and cancelled before it ran again.
enum WokenThenCancelledTwins {
    static func run(_ log: EventLog) async throws {
        func outcome<T: Sendable>(_ name: String, _ task: TaskHandle<T>) async {
            do { log("\(name) got \(try await task.value)") } catch { log("\(name) raised \(spelling(of: error))") }
        }
        let event = Event()
        let eventWaiter = try spawn { () async throws -> String in try await event.wait(); return "True" }
        try await sleep(0)
        event.set()
        eventWaiter.cancel()
        await outcome("event waiter", eventWaiter)
        log("event is set \(spelling(of: event.isSet))")

        let future = Future<Int>()
        let awaiting = try spawn { () async throws -> Int in try await future.value }
        try await sleep(0)
        try future.setResult(1)
        awaiting.cancel()
        await outcome("future awaiter", awaiting)
        log("future result \(try future.result())")

        let queue = Queue<Int>()
        let firstGetter = try spawn { () async throws -> Int in try await queue.get() }
        let secondGetter = try spawn { () async throws -> Int in try await queue.get() }
        try await sleep(0)
        try queue.putNowait(7)
        firstGetter.cancel()
        await outcome("first getter", firstGetter)
        await outcome("second getter", secondGetter)

        let semaphore = try Semaphore(0)
        let firstAcquirer = try spawn { () async throws -> String in try await semaphore.acquire(); return "True" }
        let secondAcquirer = try spawn { () async throws -> String in try await semaphore.acquire(); return "True" }
        try await sleep(0)
        try semaphore.release()
        firstAcquirer.cancel()
        await outcome("first acquirer", firstAcquirer)
        await outcome("second acquirer", secondAcquirer)

        let lock = Lock()
        try await lock.acquire()
        let firstLocker = try spawn { () async throws -> String in try await lock.withLock { "the lock" } }
        let secondLocker = try spawn { () async throws -> String in try await lock.withLock { "the lock" } }
        try await sleep(0)
        try lock.release()
        firstLocker.cancel()
        await outcome("first locker", firstLocker)
        await outcome("second locker", secondLocker)

        let condition = Condition()
        let conditionWaiter = try spawn { () async throws -> String in
            try await condition.withLock {
                try await condition.wait()
                return "notified"
            }
        }
        try await sleep(0)
        try await condition.withLock {
            try condition.notify()
            conditionWaiter.cancel()
        }
        await outcome("condition waiter", conditionWaiter)
        log("condition lock held \(spelling(of: condition.locked))")
    }
}

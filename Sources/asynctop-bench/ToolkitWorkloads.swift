import AsyncTopRuntime
import Foundation
import Synchronization

/// queue_pipeline, semaphore_fanout and cancel_storm (scripts/asyncio_workloads.py has them for asyncio),
/// on the loop and (with the same primitives, plain `Task`s and sequential awaits) on the
/// global executor.
enum ToolkitWorkloads {
    static let consumers = 4
    static let semaphoreLimit = 100

    // MARK: On the loop

    /// A loop task calls a loop-isolated actor `n` times (each call goes to the actor's
    /// executor, the loop's, and back to the task's, the loop too); extras: the same count
    /// kept behind a `Mutex` (no await), and in a plain actor of the global executor.
    static func actorCalls(n: Int) async throws -> Measured {
        let loop = EventLoop.current!
        let counter = LoopCounter(loop: loop)
        let start = now()
        for _ in 0..<n { await counter.add() }
        let seconds = now() - start
        let counted = await counter.count
        precondition(counted == n, "actor_calls: bad count")
        let mutex = Mutex(0)
        let mutexStart = now()
        for _ in 0..<n { mutex.withLock { $0 += 1 } }
        let mutexSeconds = now() - mutexStart
        let plain = PlainCounter()
        let plainStart = now()
        for _ in 0..<n { await plain.add() }
        let plainSeconds = now() - plainStart
        return Measured(seconds: seconds, ops: n, extras: [
            "ns_per_call": seconds / Double(n) * 1e9, "mutex_ns_per_call": mutexSeconds / Double(n) * 1e9,
            "global_actor_from_loop_ns_per_call": plainSeconds / Double(n) * 1e9,
        ])
    }

    static func queuePipeline(n: Int) async throws -> Measured {
        let queue = Queue<Int?>(maxsize: 1024, name: "pipeline")
        let start = now()
        var tasks = [try spawn(name: "producer") { () async throws -> Int in
            for i in 0..<n { try await queue.put(i) }
            for _ in 0..<consumers { try await queue.put(nil) }
            return 0
        }]
        for c in 0..<consumers {
            tasks.append(try spawn(name: "consumer-\(c)") { () async throws -> Int in
                var sum = 0
                while let x = try await queue.get() { sum += x }
                return sum
            })
        }
        let sums = try await gather(tasks)
        let seconds = now() - start
        precondition(sums.dropFirst().reduce(0, +) == n * (n - 1) / 2, "queue_pipeline: bad sum")
        return Measured(seconds: seconds, ops: n)
    }

    static func semaphoreFanout(n: Int) async throws -> Measured {
        let semaphore = try Semaphore(semaphoreLimit, name: "fanout")
        let counts = ActiveCount()
        let start = now()
        let tasks = try (0..<n).map { _ in
            try spawn { () async throws -> Int in
                try await semaphore.withPermit {
                    counts.enter()
                    try await sleep(0)
                    counts.leave()
                }
                return 1
            }
        }
        let done = try await gather(tasks).reduce(0, +)
        let seconds = now() - start
        precondition(done == n)
        let maxActive = counts.maxActive
        precondition(maxActive == min(semaphoreLimit, n), "semaphore_fanout: max_active \(maxActive)")
        return Measured(seconds: seconds, ops: n, extras: ["max_active": Double(maxActive)])
    }

    static func cancelStorm(n: Int) async throws -> Measured {
        let event = Event(name: "never")
        let start = now()
        let tasks = try (0..<n).map { _ in try spawn { try await event.wait() } }
        try await sleep(0)
        let cancelStart = now()
        for task in tasks { task.cancel() }
        let results = try await gather(tasks, returnExceptions: true)
        let end = now()
        let cancelled = results.filter { if case .failure(let error) = $0 { error is CancellationError } else { false } }.count
        precondition(cancelled == n, "cancel_storm: \(cancelled) cancelled")
        return Measured(seconds: end - start, ops: n, extras: ["cancel_phase_s": end - cancelStart, "cancelled": Double(cancelled)])
    }

    // MARK: On the global executor

    /// A task of the global executor calls a plain actor `n` times.
    static func actorCallsGlobal(n: Int) async -> Measured {
        let plain = PlainCounter()
        let start = now()
        await Task {
            for _ in 0..<n { await plain.add() }
        }.value
        let seconds = now() - start
        return Measured(seconds: seconds, ops: n, extras: ["ns_per_call": seconds / Double(n) * 1e9])
    }

    static func queuePipelineGlobal(n: Int) async throws -> Measured {
        let queue = Queue<Int?>(maxsize: 1024, name: "pipeline")
        let start = now()
        let producer = Task { () async throws -> Int in
            for i in 0..<n { try await queue.put(i) }
            for _ in 0..<consumers { try await queue.put(nil) }
            return 0
        }
        let consumerTasks = (0..<consumers).map { _ in
            Task { () async throws -> Int in
                var sum = 0
                while let x = try await queue.get() { sum += x }
                return sum
            }
        }
        _ = try await producer.value
        var total = 0
        for task in consumerTasks { total += try await task.value }
        let seconds = now() - start
        precondition(total == n * (n - 1) / 2, "queue_pipeline: bad sum")
        return Measured(seconds: seconds, ops: n)
    }

    static func semaphoreFanoutGlobal(n: Int) async throws -> Measured {
        let semaphore = try Semaphore(semaphoreLimit, name: "fanout")
        let counts = ActiveCount()
        let start = now()
        let tasks = (0..<n).map { _ in
            Task { () async throws -> Int in
                try await semaphore.withPermit {
                    counts.enter()
                    await Task.yield()
                    counts.leave()
                }
                return 1
            }
        }
        var done = 0
        for task in tasks { done += try await task.value }
        let seconds = now() - start
        precondition(done == n)
        let maxActive = counts.maxActive
        precondition(maxActive <= semaphoreLimit, "semaphore_fanout: max_active \(maxActive)")
        return Measured(seconds: seconds, ops: n, extras: ["max_active": Double(maxActive)])
    }

    static func cancelStormGlobal(n: Int) async throws -> Measured {
        let event = Event(name: "never")
        let start = now()
        let tasks = (0..<n).map { _ in Task { try await event.wait() } }
        while event.waiterCount < n { await Task.yield() }
        let cancelStart = now()
        for task in tasks { task.cancel() }
        var cancelled = 0
        for task in tasks {
            do { try await task.value } catch is CancellationError { cancelled += 1 }
        }
        let end = now()
        precondition(cancelled == n, "cancel_storm: \(cancelled) cancelled")
        return Measured(seconds: end - start, ops: n, extras: ["cancel_phase_s": end - cancelStart, "cancelled": Double(cancelled)])
    }
}

/// Tasks inside the semaphore now, and the most at once.
final class ActiveCount: Sendable {
    private let counts = Mutex((active: 0, max: 0))

    func enter() {
        counts.withLock { counts in
            counts.active += 1
            if counts.active > counts.max { counts.max = counts.active }
        }
    }

    func leave() { counts.withLock { $0.active -= 1 } }

    var maxActive: Int { counts.withLock { $0.max } }
}

/// actor_calls' counter, isolated to the loop.
actor LoopCounter: LoopActor {
    let loop: EventLoop
    var count = 0
    init(loop: EventLoop) { self.loop = loop }
    func add() { count += 1 }
}

/// actor_calls' counter on the global executor.
actor PlainCounter {
    var count = 0
    func add() { count += 1 }
}

import AsyncTopSync
import AsyncTopModel
import Foundation
import Synchronization
import Testing
@testable import AsyncTopRuntime

/// Waits on the loop until `done()` is true. When `progress()` stands still for
/// `stalledAfter` seconds while the global executor runs (a lost wake-up: a round that
/// never ends), records an issue naming `context` and returns false. Generous bounds: this
/// checks liveness, not speed.
///
/// Only time in which a heartbeat task on the global executor ticked counts: tests beside
/// this one may block the cooperative pool's threads for seconds (a program in a terminal,
/// waited for synchronously), which stops this test's global-executor parties too, and
/// that is starvation, not a lost wake-up. Ten times the limit of wall time fails anyway.
@discardableResult
func awaitProgress(stalledAfter limit: Double, context: @autoclosure () -> String = "",
                   progress: () -> Int, done: () -> Bool) async throws -> Bool {
    let beats = Heartbeat()
    defer { beats.stop() }
    var last = progress()
    var lastBeat = beats.count
    var since = ContinuousClock.now
    var stalled = Duration.zero
    var checked = ContinuousClock.now
    while !done() {
        try await sleep(0.002)
        let now = progress(), beat = beats.count, clock = ContinuousClock.now
        if beat != lastBeat { stalled += clock - checked }
        (lastBeat, checked) = (beat, clock)
        if now != last {
            (last, since, stalled) = (now, clock, .zero)
        } else if stalled > .seconds(limit) || clock - since > .seconds(limit * 10) {
            Issue.record("no progress for \(limit) s while the global executor ran, stuck at \(now). \(context())")
            return false
        }
    }
    return true
}

/// A task on the global executor counting its wake-ups, every few milliseconds.
final class Heartbeat: Sendable {
    private let beats = Atomic<Int>(0)
    private let running = Atomic<Bool>(true)

    init() {
        Task.detached { [self] in
            while running.load(ordering: .relaxed) {
                try? await Task.sleep(for: .milliseconds(5))
                beats.add(1, ordering: .relaxed)
            }
        }
    }

    var count: Int { beats.load(ordering: .relaxed) }
    func stop() { running.store(false, ordering: .relaxed) }
}

/// ``awaitProgress(stalledAfter:context:progress:done:)`` for one loop task; cancels it when stuck.
@discardableResult
func awaitProgress<T: Sendable>(of task: TaskHandle<T>, stalledAfter limit: Double,
                                context: @autoclosure () -> String = "", _ progress: () -> Int) async throws -> Bool {
    let ok = try await awaitProgress(stalledAfter: limit, context: context(), progress: progress) { task.done }
    if !ok { task.cancel() }
    return ok
}

/// How a stress test is seeded and sized. `ASYNCTOP_STRESS_SEED` replays a failed run (its
/// seed is in every failure message); `ASYNCTOP_STRESS_SCALE` multiplies the rounds for a
/// longer run by hand.
struct StressPlan: CustomStringConvertible {
    let seed: UInt64
    let rounds: Int

    init(rounds: Int) {
        let environment = ProcessInfo.processInfo.environment
        seed = environment["ASYNCTOP_STRESS_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
        let scale = environment["ASYNCTOP_STRESS_SCALE"].flatMap(Double.init) ?? 1
        self.rounds = max(1, Int(Double(rounds) * scale))
    }

    /// A generator of its own for party `index`, so parties on different threads share none.
    func rng(_ index: Int) -> SplitMix { SplitMix(seed: seed &+ UInt64(index) &* 0x9E37_79B9) }

    var description: String { "seed \(seed) (ASYNCTOP_STRESS_SEED=\(seed) replays it), \(rounds) rounds" }
}

/// Where a stress test runs the other side of a primitive: not on the loop.
enum Elsewhere: CaseIterable {
    /// A `Task.detached` on the global executor.
    case global
    /// A worker of a ``ThreadPoolExecutor`` through `runInExecutor`.
    case pool
    /// One of the test's own plain `Thread`s.
    case thread

    static func random(using rng: inout SplitMix) -> Elsewhere { allCases[Int.random(in: 0..<allCases.count, using: &rng)] }
}

/// The threads and pool a stress test hands work to.
final class Helpers: Sendable {
    let pool: ThreadPoolExecutor
    let threads: PlainThreads

    init(name: String) throws {
        pool = try ThreadPoolExecutor(maxWorkers: 3, name: "\(name)-pool")
        threads = PlainThreads(count: 3, name: name)
    }

    /// Runs `work` on `place` and waits for it to end there.
    func run<T: Sendable>(_ place: Elsewhere, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        switch place {
        case .global: try await Task.detached { try work() }.value
        case .pool: try await runInExecutor(pool, label: "stress", work)
        case .thread: try await threads.run(work)
        }
    }

    /// Starts `work` on `place` without waiting for it: a racing cancel or release.
    func post(_ place: Elsewhere, _ work: @escaping @Sendable () -> Void) {
        switch place {
        case .global: Task.detached { work() }
        case .pool: _ = try? pool.submit(WorkItem(executorName: pool.name, label: "stress", awaitingTask: nil) { () -> Result<any Sendable, any Error> in
                work()
                return .success(())
            })
        case .thread: threads.post(work)
        }
    }

    func stop() {
        pool.shutdown()
        threads.stop()
    }
}

/// Plain `Thread`s taking closures from a shared list, as a program's own threads would.
final class PlainThreads: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false
    private var alive = 0

    init(count: Int, name: String) {
        alive = count
        for index in 0..<count {
            let thread = Thread { [self] in
                Thread.current.name = "\(name.prefix(10))-t\(index)"
                serve()
            }
            thread.start()
        }
    }

    private func serve() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                alive -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    func post(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `work` on one of the threads; waits for it even when the awaiting task is cancelled.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withUnsafeThrowingContinuation { continuation in
            post { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Lets the threads finish the jobs posted and end; returns once they have.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while alive > 0 { condition.wait() }
        condition.unlock()
    }
}

/// One try at a wait, in a task of its own so that it can be cancelled without ending the
/// party that made it: a loop task, or a global-executor task.
struct Attempt<T: Sendable>: Sendable {
    let cancel: @Sendable () -> Void
    let result: @Sendable () async -> Result<T, any Error>

    /// Starts `body` on the loop (`onLoop`, which must be called on the loop) or on the
    /// global executor.
    init(onLoop: Bool, _ body: @escaping @Sendable () async throws -> T) throws {
        if onLoop {
            let handle = try spawn(name: "attempt", body)
            cancel = { handle.cancel() }
            result = {
                do { return .success(try await handle.value) } catch { return .failure(error) }
            }
        } else {
            let task = Task.detached(operation: body)
            cancel = { task.cancel() }
            result = { await task.result }
        }
    }

    /// Sometimes cancels the attempt (about one in three): at once, after a yield, or from
    /// another thread, racing whatever the attempt is doing. Returns whether it did.
    func maybeCancel(_ rng: inout SplitMix, helpers: Helpers) async -> Bool {
        switch Int.random(in: 0..<9, using: &rng) {
        case 0: cancel()
        case 1:
            await Task.yield()
            cancel()
        case 2: helpers.post(.random(using: &rng), cancel)
        default: return false
        }
        return true
    }
}

/// The rounds each party of a stress test finished, and which parties ended.
final class PartyProgress: Sendable {
    private struct State {
        var rounds: [Int]
        var ended: [Bool]
    }
    private let state: Locked<State>

    init(count: Int) { state = Locked(State(rounds: Array(repeating: 0, count: count), ended: Array(repeating: false, count: count))) }

    func tick(_ party: Int) { state.withLock { $0.rounds[party] += 1 } }
    func end(_ party: Int) { state.withLock { $0.ended[party] = true } }
    var allEnded: Bool { state.withLock { !$0.ended.contains(false) } }

    /// The rounds of the parties still running, and their indices: a change in either is progress.
    var running: [Int] {
        state.withLock { state in state.ended.indices.filter { !state.ended[$0] }.flatMap { [$0, state.rounds[$0]] } }
    }
}

/// Runs the parties of a stress test until each returns: `onLoop` of them as loop tasks
/// (indices first), `global` as global-executor tasks; each calls `tick(index)` once per
/// round. Records an issue for a party's error, and for a party still running whose rounds
/// stand still for 20 s: a wait never woken. Returns false on such a stall.
@discardableResult
func runParties(onLoop: Int, global: Int, plan: StressPlan, context: @escaping @Sendable () -> String,
                _ party: @escaping @Sendable (_ index: Int, _ onLoop: Bool, _ tick: @Sendable () -> Void) async throws -> Void) async throws -> Bool {
    let progress = PartyProgress(count: onLoop + global)
    let errors = Locked<[String]>([])
    let run: @Sendable (Int, Bool) async -> Void = { index, loop in
        do { try await party(index, loop) { progress.tick(index) } } catch {
            errors.withLock { $0.append("party \(index): \(error)") }
        }
        progress.end(index)
    }
    for index in 0..<onLoop { try spawn(name: "party \(index)") { await run(index, true) } }
    for index in onLoop..<(onLoop + global) { Task.detached { await run(index, false) } }
    var last: [Int] = []
    var generation = 0
    let ok = try await awaitProgress(stalledAfter: 20, context: "\(plan). Parties and rounds \(progress.running). \(context())",
                                     progress: {
                                         let now = progress.running
                                         if now != last { last = now; generation += 1 }
                                         return generation
                                     }, done: { progress.allEnded })
    for error in errors.withLock({ $0 }) { Issue.record("\(error). \(plan)") }
    return ok
}

/// Checks an invariant of a primitive's state over and over on a plain thread while a stress
/// test runs: a wake-up lost for a moment, healed by later traffic, shows here.
final class Sampler: @unchecked Sendable {
    private let stopping = Atomic<Bool>(false)
    private let stopped = NSCondition()
    // Guarded by `stopped`.
    private var running = true
    /// Samples that broke the invariant, and samples taken.
    let violations = Atomic<Int>(0), samples = Atomic<Int>(0)

    /// Starts checking `broken` (true: the invariant does not hold) until `stop()`.
    init(_ broken: @escaping @Sendable () -> Bool) {
        Thread { [self] in
            while !stopping.load(ordering: .relaxed) {
                if broken() { violations.add(1, ordering: .relaxed) }
                samples.add(1, ordering: .relaxed)
                usleep(20)
            }
            stopped.lock()
            running = false
            stopped.broadcast()
            stopped.unlock()
        }.start()
    }

    /// Stops the thread and returns the violations seen.
    func stop() -> Int {
        stopping.store(true, ordering: .relaxed)
        stopped.lock()
        while running { stopped.wait() }
        stopped.unlock()
        return violations.load(ordering: .relaxed)
    }
}

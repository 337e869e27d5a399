import AsyncTopModel
import Synchronization
import Testing
@testable import AsyncTopRuntime

/// Every primitive used from several threads at once: waiters on the loop and on the global
/// executor; releasers, notifiers, setters and producers on the global executor, a thread
/// pool's workers and plain threads; random cancels from all of them. Invariants: no lost
/// wake-up (every round ends), no double grant, no lost or duplicated item, no leaked permit.
/// Correctness tests, not timed ones: the bounds only catch a round that never ends.
@Suite struct PrimitiveThreadStressTests {
    /// Holders of a lock or permit: an atomic count, and a plain variable only holders touch
    /// (ThreadSanitizer reports a double grant of the lock as a race on it).
    final class Holders: @unchecked Sendable {
        let inside = Atomic<Int>(0)
        let overLimit = Atomic<Int>(0)
        let granted = Atomic<Int>(0)
        let cancelled = Atomic<Int>(0)
        let rounds = Atomic<Int>(0)
        var touched = 0

        func enter(limit: Int) {
            if inside.add(1, ordering: .sequentiallyConsistent).newValue > limit { overLimit.add(1, ordering: .relaxed) }
            granted.add(1, ordering: .relaxed)
        }

        func leave() { inside.subtract(1, ordering: .sequentiallyConsistent) }
    }

    /// Acquire in a cancellable attempt; while holding, maybe yield; release here or on
    /// another thread. `exclusive` holders also bump the plain counter.
    static func holdAndRelease(
        _ rng: inout SplitMix, onLoop: Bool, helpers: Helpers, holders: Holders, limit: Int,
        acquire: @escaping @Sendable () async throws -> Void, release: @escaping @Sendable () throws -> Void
    ) async throws {
        let attempt = try Attempt(onLoop: onLoop) {
            try await acquire()
            holders.enter(limit: limit)
        }
        _ = await attempt.maybeCancel(&rng, helpers: helpers)
        switch await attempt.result() {
        case .success:
            if limit == 1 { holders.touched += 1 }
            if Bool.random(using: &rng) { await Task.yield() }
            let leave: @Sendable () throws -> Void = {
                holders.leave()
                try release()
            }
            if Bool.random(using: &rng) { try leave() } else { try await helpers.run(.random(using: &rng), leave) }
        case .failure(is CancellationError):
            holders.cancelled.add(1, ordering: .relaxed)
        case .failure(let error):
            throw error
        }
        holders.rounds.add(1, ordering: .relaxed)
    }

    @Test func lockHasOneHolderWhateverThreadReleasesOrCancels() async throws {
        let plan = StressPlan(rounds: 1500)
        let helpers = try Helpers(name: "lock")
        defer { helpers.stop() }
        let holders = Holders()
        let lock = Lock(name: "stress")
        // Free with a task waiting: a wake-up lost (the waiter parked after the last release).
        let sampler = Sampler { lock.state.withLock { !$0.locked && !$0.waiters.isEmpty } }
        try await onLoop {
            try await runParties(onLoop: 2, global: 2, plan: plan,
                                 context: { "\(lock.resourceInfo)" }) { index, onLoop, tick in
                var rng = plan.rng(index)
                for _ in 0..<plan.rounds {
                    try await Self.holdAndRelease(&rng, onLoop: onLoop, helpers: helpers, holders: holders, limit: 1,
                                             acquire: { try await lock.acquire() }, release: { try lock.release() })
                    tick()
                }
            }
        }
        #expect(sampler.stop() == 0, "free with waiters (of \(sampler.samples.load(ordering: .relaxed)) samples). \(plan)")
        #expect(holders.overLimit.load(ordering: .relaxed) == 0, "two holders at once. \(plan)")
        #expect(holders.touched == holders.granted.load(ordering: .relaxed), "\(plan)")
        #expect(holders.granted.load(ordering: .relaxed) + holders.cancelled.load(ordering: .relaxed) == 4 * plan.rounds)
        #expect(!lock.locked && lock.resourceInfo.waiters.isEmpty, "\(lock.resourceInfo). \(plan)")
    }

    @Test(arguments: [false, true])
    func semaphoreNeverGrantsMoreThanItsPermitsNorLeaksOne(bounded: Bool) async throws {
        let plan = StressPlan(rounds: 600)
        let helpers = try Helpers(name: "semaphore")
        defer { helpers.stop() }
        let permits = 3
        let semaphore = bounded ? try BoundedSemaphore(permits, name: "stress") : try Semaphore(permits, name: "stress")
        let holders = Holders()
        let sampler = Sampler { semaphore.state.withLock { $0.value > 0 && !$0.waiters.isEmpty } }
        try await onLoop {
            try await runParties(onLoop: 3, global: 2, plan: plan,
                                 context: { "\(semaphore.resourceInfo)" }) { index, onLoop, tick in
                var rng = plan.rng(index)
                for _ in 0..<plan.rounds {
                    try await Self.holdAndRelease(&rng, onLoop: onLoop, helpers: helpers, holders: holders, limit: permits,
                                             acquire: { try await semaphore.acquire() }, release: { try semaphore.release() })
                    tick()
                }
            }
        }
        #expect(sampler.stop() == 0, "permits left with waiters (of \(sampler.samples.load(ordering: .relaxed)) samples). \(plan)")
        #expect(holders.overLimit.load(ordering: .relaxed) == 0, "more holders than permits. \(plan)")
        #expect(holders.granted.load(ordering: .relaxed) + holders.cancelled.load(ordering: .relaxed) == 5 * plan.rounds)
        let info = semaphore.resourceInfo
        #expect(semaphore.value == permits && info.waiters.isEmpty && info.holders.isEmpty, "\(info). \(plan)")
        if bounded {
            #expect(throws: ToolkitError.overReleased(semaphore.title)) { try semaphore.release() }
        }
    }
}

import AsyncTopSync
import AsyncTopModel
import Synchronization
import Testing
@testable import AsyncTopRuntime

extension PrimitiveThreadStressTests {
    /// Units of work a condition guards; the plain variables are touched only with its lock held.
    final class Units: @unchecked Sendable {
        var available = 0
        /// Consumers inside `wait()`, from before they release the lock until they hold it again.
        var sleeping = 0
        /// A unit left with no consumer to be told: notified while its only sleeper was
        /// cancelled, out of the queue; producers tell the next sleeper.
        var orphaned = false
        let produced = Atomic<Int>(0)
        let consumed = Atomic<Int>(0)
    }

    @Test func conditionLosesNoNotificationAcrossThreadsAndCancels() async throws {
        let plan = StressPlan(rounds: 500)
        let helpers = try Helpers(name: "condition")
        defer { helpers.stop() }
        let condition = Condition(name: "stress")
        let units = Units()
        // Parties 0, 1 and 4 consume `rounds` units each, in cancellable attempts that always
        // wait to be notified, even when a unit is there already. Parties 2, 3 and 5 produce
        // as many, one unit at a time and only once a consumer waits: they take the lock on
        // the loop or the global executor, then add the unit, notify and release there or on
        // a pool worker or plain thread. A notification lost leaves the unit there and every
        // consumer asleep: the test stalls. (Cancels can hide one: a cancelled consumer tells
        // a waiter about a unit it leaves. ConditionTests cover the pass-on itself.)
        let consumers: Set<Int> = [0, 1, 4]
        try await onLoop {
            try await runParties(onLoop: 3, global: 3, plan: plan,
                                 context: { "\(units.consumed.load(ordering: .relaxed)) consumed, \(condition.resourceInfo)" }) { index, onLoop, tick in
                var rng = plan.rng(index)
                if consumers.contains(index) {
                    var mine = 0
                    while mine < plan.rounds {
                        let attempt = try Attempt(onLoop: onLoop) {
                            try await condition.withLock {
                                units.sleeping += 1
                                do {
                                    repeat { try await condition.wait() } while units.available == 0
                                } catch {
                                    // Cancelled, holding the lock again. The unit there may
                                    // have been notified to nobody: this consumer was its only
                                    // sleeper, out of the queue since. Tell a waiter, or mark it.
                                    units.sleeping -= 1
                                    if units.available > 0 {
                                        if condition.resourceInfo.waiters.isEmpty { units.orphaned = true } else { try condition.notify() }
                                    }
                                    throw error
                                }
                                units.sleeping -= 1
                                units.available -= 1
                                units.consumed.add(1, ordering: .relaxed)
                            }
                        }
                        _ = await attempt.maybeCancel(&rng, helpers: helpers)
                        switch await attempt.result() {
                        case .success: mine += 1
                        case .failure(is CancellationError): break
                        case .failure(let error): throw error
                        }
                        tick()
                    }
                } else {
                    // Past its own units a producer stays, to tell of orphaned ones, until all are consumed.
                    var made = 0
                    while true {
                        try await condition.acquire()
                        if units.available > 0 && units.orphaned && !condition.resourceInfo.waiters.isEmpty {
                            units.orphaned = false
                            try condition.notify()
                        }
                        if made == plan.rounds && units.consumed.load(ordering: .relaxed) == 3 * plan.rounds {
                            try condition.release()
                            break
                        }
                        if made == plan.rounds || units.available > 0 || units.sleeping == 0 {
                            try condition.release()
                            await Task.yield()
                            continue
                        }
                        let wakeAll = Int.random(in: 0..<8, using: &rng) == 0
                        let produce: @Sendable () throws -> Void = {
                            units.available += 1
                            units.orphaned = false
                            units.produced.add(1, ordering: .relaxed)
                            if wakeAll { try condition.notifyAll() } else { try condition.notify() }
                            try condition.release()
                        }
                        if Bool.random(using: &rng) { try produce() } else { try await helpers.run(.random(using: &rng), produce) }
                        made += 1
                        tick()
                    }
                }
            }
        }
        #expect(units.consumed.load(ordering: .relaxed) == 3 * plan.rounds, "\(plan)")
        #expect(units.produced.load(ordering: .relaxed) == 3 * plan.rounds && units.available == 0, "\(plan)")
        #expect(!condition.locked && condition.resourceInfo.waiters.isEmpty, "\(condition.resourceInfo). \(plan)")
    }

    @Test func eventWakesEveryWaiterWhicheverThreadSetsIt() async throws {
        let plan = StressPlan(rounds: 800)
        let helpers = try Helpers(name: "event")
        defer { helpers.stop() }
        let event = Event(name: "stress")
        // Set with a task waiting: a waiter parked after the set that should have woken it.
        let sampler = Sampler { event.state.withLock { $0.isSet && !$0.waiters.isEmpty } }
        let rounds = Atomic<Int>(0)
        let wrong = Locked<[String]>([])
        // Each round: clear, start three loop waiters and one global one, cancel some, set
        // the event from another thread (sometimes from two at once), and await them all.
        try await onLoop {
            try await runParties(onLoop: 1, global: 0, plan: plan,
                                 context: { "\(event.resourceInfo)" }) { index, _, tick in
                var rng = plan.rng(index)
                for round in 0..<plan.rounds {
                    event.clear()
                    let attempts = try (0..<4).map { i in try Attempt(onLoop: i < 3) { try await event.wait() } }
                    var cancelled: [Bool] = []
                    for attempt in attempts { cancelled.append(await attempt.maybeCancel(&rng, helpers: helpers)) }
                    for _ in 0..<Int.random(in: 0..<3, using: &rng) { await Task.yield() }
                    for _ in 0..<Int.random(in: 1...2, using: &rng) { helpers.post(.random(using: &rng)) { event.set() } }
                    for (attempt, cancelled) in zip(attempts, cancelled) {
                        switch await attempt.result() {
                        case .success: break
                        case .failure(is CancellationError) where cancelled: break
                        case .failure(let error): wrong.withLock { $0.append("round \(round): \(error)") }
                        }
                    }
                    // A setter may still be on its way: the next round's clear must not lose it.
                    while !event.isSet { await Task.yield() }
                    rounds.add(1, ordering: .relaxed)
                    tick()
                }
            }
        }
        #expect(sampler.stop() == 0, "set with waiters (of \(sampler.samples.load(ordering: .relaxed)) samples). \(plan)")
        #expect(wrong.withLock { $0 }.isEmpty, "\(wrong.withLock { $0.prefix(5) }). \(plan)")
        #expect(rounds.load(ordering: .relaxed) == plan.rounds && event.waiterCount == 0, "\(plan)")
    }
}

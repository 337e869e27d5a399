import AsyncTopSync
import AsyncTopModel
import Synchronization
import Testing
@testable import AsyncTopRuntime

extension PrimitiveThreadStressTests {
    /// The items of a queue test: what was put (a put that returned) and what was got.
    final class Ledger: Sendable {
        let put = Locked<[Int]>([])
        let got = Locked<[Int]>([])
        let gotCount = Atomic<Int>(0)
    }

    static func makeQueue(_ kind: String) -> Queue<Int> {
        switch kind.prefix(while: { $0 != " " }) {
        case "lifo": LifoQueue<Int>(maxsize: 8, name: "stress")
        case "priority": PriorityQueue<Int>(maxsize: 8, name: "stress")
        default: Queue<Int>(maxsize: 8, name: "stress")
        }
    }

    /// `lockstep`: one getter, and producers put only into an empty queue: a wake-up lost
    /// leaves the item there, the getter asleep and the test stalled.
    @Test(arguments: ["fifo", "lifo", "priority", "fifo lockstep"])
    func queueHandsEveryItemOverExactlyOnce(kind: String) async throws {
        let lockstep = kind.hasSuffix("lockstep")
        let plan = StressPlan(rounds: lockstep ? 300 : 500)
        let helpers = try Helpers(name: "queue")
        defer { helpers.stop() }
        let queue = Self.makeQueue(kind)
        let ledger = Ledger()
        let target = 3 * plan.rounds
        // Parties 0 and 1 (loop) and 4 (global) get items in cancellable attempts and mark
        // them done on any thread, until every item is got; then the queue is shut down from
        // a plain thread, which ends the getters still waiting. Party 2 (loop) puts without
        // waiting from pool workers and plain threads; 3 and 5 (global) put in cancellable
        // attempts, waiting for room (maxsize 8). Every item is unique.
        try await onLoop {
            try await runParties(onLoop: 3, global: 3, plan: plan,
                                 context: { "\(ledger.gotCount.load(ordering: .relaxed)) of \(target) got, \(queue.resourceInfo)" }) { index, onLoop, tick in
                var rng = plan.rng(index)
                switch index {
                case 0, 1, 4:
                    if lockstep && index != 0 { return }
                    while true {
                        let attempt = try Attempt(onLoop: onLoop) { try await queue.get() }
                        _ = await attempt.maybeCancel(&rng, helpers: helpers)
                        switch await attempt.result() {
                        case .success(let item):
                            ledger.got.withLock { $0.append(item) }
                            if ledger.gotCount.add(1, ordering: .sequentiallyConsistent).newValue == target {
                                helpers.threads.post { queue.shutdown() }
                            }
                            tick()
                            try await helpers.run(.random(using: &rng)) { try queue.taskDone() }
                        case .failure(is CancellationError): tick()
                        case .failure(is QueueShutDown): return
                        case .failure(let error): throw error
                        }
                    }
                case 2:
                    for round in 0..<plan.rounds {
                        let item = index * 1_000_000 + round
                        while lockstep && !queue.isEmpty { await Task.yield() }
                        while true {
                            let place: Elsewhere = Bool.random(using: &rng) ? .pool : .thread
                            let put = try await helpers.run(place) { () -> Bool in
                                do { try queue.putNowait(item) } catch is QueueFull { return false }
                                ledger.put.withLock { $0.append(item) }
                                return true
                            }
                            if put { break }
                            await Task.yield()
                        }
                        tick()
                    }
                default:
                    for round in 0..<plan.rounds {
                        let item = index * 1_000_000 + round
                        while lockstep && !queue.isEmpty { await Task.yield() }
                        while true {
                            let attempt = try Attempt(onLoop: onLoop) { try await queue.put(item) }
                            _ = await attempt.maybeCancel(&rng, helpers: helpers)
                            switch await attempt.result() {
                            case .success: ledger.put.withLock { $0.append(item) }
                            case .failure(is CancellationError):
                                tick()
                                continue
                            case .failure(let error): throw error
                            }
                            break
                        }
                        tick()
                    }
                }
            }
            // Every item put was got and marked done: join returns.
            let joiner = try spawn(name: "joiner") { try await queue.join() }
            try await awaitProgress(of: joiner, stalledAfter: 20, context: "join: \(queue.resourceInfo). \(plan)") { 0 }
        }
        let put = ledger.put.withLock { $0 }, got = ledger.got.withLock { $0 }
        #expect(put.count == target, "every put ended. \(plan)")
        #expect(Set(got).count == got.count, "no item got twice. \(plan)")
        #expect(got.sorted() == put.sorted(), "no item lost. \(plan)")
        let info = queue.resourceInfo
        #expect(queue.isEmpty && queue.isShutDown && info.waiters.isEmpty, "\(info). \(plan)")
    }

    @Test func futureGivesEveryWaiterTheOneOutcomeWhicheverThreadFinishesIt() async throws {
        let plan = StressPlan(rounds: 800)
        let helpers = try Helpers(name: "future")
        defer { helpers.stop() }
        let rounds = Atomic<Int>(0)
        let wins = Atomic<Int>(0), finishers = Atomic<Int>(0)
        let callbacksAdded = Atomic<Int>(0), callbacksRun = Atomic<Int>(0)
        let wrong = Locked<[String]>([])
        // Done with a task waiting: a waiter parked after the result that should have woken it.
        let current = Locked<Future<Int>?>(nil)
        let sampler = Sampler { current.withLock { $0 }?.state.withLock { $0.result != nil && !$0.waiters.isEmpty } ?? false }
        // Each round: a new future; three loop waiters and one global one, some cancelled;
        // two finishers on other threads race to set a result, an error or cancel it (one
        // wins); a done callback added from another thread runs once.
        _ = try await onLoop {
            try await runParties(onLoop: 1, global: 0, plan: plan,
                                 context: { "wins \(wins.load(ordering: .relaxed)), callbacks \(callbacksRun.load(ordering: .relaxed))" }) { index, _, tick in
                var rng = plan.rng(index)
                for round in 0..<plan.rounds {
                    let future = Future<Int>(name: "round \(round)")
                    current.withLock { $0 = future }
                    let attempts = try (0..<4).map { i in try Attempt(onLoop: i < 3) { try await future.value } }
                    var cancelled: [Bool] = []
                    for attempt in attempts { cancelled.append(await attempt.maybeCancel(&rng, helpers: helpers)) }
                    callbacksAdded.add(1, ordering: .relaxed)
                    helpers.post(.random(using: &rng)) { future.addDoneCallback { _ in callbacksRun.add(1, ordering: .relaxed) } }
                    for finisher in 0..<2 {
                        let how = Int.random(in: 0..<3, using: &rng)
                        helpers.post(.random(using: &rng)) {
                            let won = switch how {
                            case 0: (try? future.setResult(round * 10 + finisher)) != nil
                            case 1: (try? future.setException(Boom())) != nil
                            default: future.cancel()
                            }
                            if won { wins.add(1, ordering: .relaxed) }
                            finishers.add(1, ordering: .sequentiallyConsistent)
                        }
                    }
                    for (i, (attempt, cancelled)) in zip(attempts, cancelled).enumerated() {
                        let outcome = await attempt.result()
                        let ok = switch (outcome, future.done ? Result { try future.result() } : nil) {
                        case (.failure(is CancellationError), _) where cancelled: true
                        case (.success(let got), .success(let set)?): got == set
                        case (.failure(is Boom), .failure(is Boom)?): true
                        case (.failure(is CancellationError), .failure(is CancellationError)?): true
                        default: false
                        }
                        if !ok { wrong.withLock { $0.append("round \(round) waiter \(i): \(outcome)") } }
                    }
                    while finishers.load(ordering: .sequentiallyConsistent) < 2 * (round + 1)
                            || callbacksRun.load(ordering: .relaxed) < callbacksAdded.load(ordering: .relaxed) {
                        try await sleep(0)
                    }
                    rounds.add(1, ordering: .relaxed)
                    tick()
                }
            }
        }
        #expect(sampler.stop() == 0, "done with waiters (of \(sampler.samples.load(ordering: .relaxed)) samples). \(plan)")
        #expect(wrong.withLock { $0 }.isEmpty, "\(wrong.withLock { $0.prefix(5) }). \(plan)")
        #expect(rounds.load(ordering: .relaxed) == plan.rounds, "\(plan)")
        #expect(wins.load(ordering: .relaxed) == plan.rounds, "one finisher wins each round. \(plan)")
        #expect(callbacksRun.load(ordering: .relaxed) == plan.rounds, "each done callback ran once. \(plan)")
    }
}

import AsyncTopDemos
import AsyncTopModel
import AsyncTopTracing
import Foundation
import Testing
import TmuxTestSupport

/// The demos of executors, threads and scale, run headless and checked by their summary
/// and the facts of their trace. One at a time: two of them keep both cores busy.
@Suite(.serialized) struct ExecutorDemoTests {
    func run(_ name: String, speed: Double, thresholds: LintThresholds? = nil) async throws -> DemoRun {
        let demo = try #require(DemoCatalogue.named(name))
        let run = await DemoRunner.run(demo, speed: speed, thresholds: thresholds ?? .forSuite(demo, speed: speed))
        // Not #expect(run.ok): its failure would print every event of the run.
        let ok = run.ok
        let lints = run.events.filter { $0.event == "lint" }.compactMap(\.detail)
        #expect(ok, "\(name): expected \(run.expected), observed \(run.observed); lints \(lints)")
        #expect(run.firedLints == demo.lints, "\(lints)")
        return run
    }

    @Test func singleThreadExecutorRunsTheCallsOneAtATimeInOrder() async throws {
        let run = try await run("single-thread-executor", speed: 4)
        let calls = ["call-1", "call-2", "call-3", "call-4"]
        #expect(run.names("done").filter(calls.contains) == calls)
        // Each waited on the serial pool's work item.
        for call in calls {
            #expect(run.events.contains { $0.event == "suspended" && $0.name == call && ($0.detail ?? "").contains("serial") },
                    "\(call) waits on serial")
        }
        #expect(run.output.count == 4)
        #expect(zip(run.output, calls).allSatisfy { line, call in line.hasPrefix("\(call) on serial-0:") }, "\(run.output)")
    }

    @Test func threadsafeHandsCoroutinesToTheLoopAndCancelsTheSlowOne() async throws {
        let run = try await run("threadsafe", speed: 8)
        #expect(run.names("done").contains("quick"))
        #expect(run.names("cancelled") == ["slow"])
        let request = try #require(run.events.first { $0.event == "cancel_requested" })
        #expect(request.name == "slow")
        #expect(request.detail == "by thread legacy-thread")
        #expect(run.output.contains("legacy-thread: quick returned 42"))
        #expect(run.output.contains { $0.hasPrefix("legacy-thread: slow has not answered") })
    }

    @Test func processPoolComputesInOtherProcessesWhileTheTickerTicks() async throws {
        let asynctop = try #require(BuiltBinary.asynctop, "asynctop is built beside the tests")
        let clock = ContinuousClock()
        var run: DemoRun?
        let took = try await clock.measure {
            run = try await Demo.$workerExecutable.withValue(asynctop) { try await self.run("process-pool", speed: 4) }
        }
        let trace = try #require(run)
        let results = trace.output.filter { $0.hasPrefix("fib(") }
        #expect(results.count == 6)
        // "fib(34) = 5702887 from pid 4242 in 0.31 s"
        let pids = Set(results.compactMap { $0.components(separatedBy: " pid ").last.flatMap { Int32($0.prefix { $0.isNumber }) } })
        #expect(pids.count == 2 && !pids.contains(getpid()))
        // No zombies: shutdown reaped both workers (a zombie would still answer kill 0).
        for pid in pids { #expect(kill(pid, 0) == -1 && errno == ESRCH, "worker \(pid) was reaped") }
        let ticker = try #require(trace.output.first { $0.hasPrefix("ticker:") })
        print("process-pool at speed 4: \(took); \(ticker)")
        // "ticker: 77 ticks of 0.013 s, longest gap 0.036 s": about 0.02 s alone, up to 0.1 s
        // measured beside the whole suite; seconds when the work blocks the loop.
        let gap = try #require(ticker.components(separatedBy: "longest gap ").last.flatMap { Double($0.prefix { $0 != " " }) })
        #expect(gap < 0.5)
        #expect(trace.names("done").contains("ticker"))
    }

    @Test func stressRunsTenThousandTasksAndCancelsThemPromptly() async throws {
        // The lints' wall-clock limits, loosened: this run has about 100,000 steps of
        // microseconds, and on a busy 2-core machine (the whole suite in parallel, other
        // builds) the scheduler preempts the loop mid-step, in 4 ms ticks, for up to 1.06 s
        // measured. Alone, the demo's longest step is about 25 ms (the first shard spawning
        // its 100 workers, debug build) and the default limits hold. A step of 5 s, or a
        // cancel unseen for 5 s, still fails the run.
        let loose = LintThresholds(longStep: 5_000_000_000, cancelAcknowledge: 5_000_000_000)
        let clock = ContinuousClock()
        var run: DemoRun?
        let took = try await clock.measure {
            run = try await Demo.$duration.withValue(1.5) { try await self.run("stress", speed: 1, thresholds: loose) }
        }
        let trace = try #require(run)
        let spawned = trace.events.filter { $0.event == "spawned" }.count
        #expect(spawned >= 10_000)
        #expect(trace.names("spawned").filter { $0.hasPrefix("worker-") }.count == 10_000)
        // Every task asked to stop stopped, at its next await: none went on to finish.
        let asked = Set(trace.events.filter { $0.event == "cancel_requested" }.compactMap(\.task))
        let cancelled = Set(trace.events.filter { $0.event == "cancelled" }.compactMap(\.task))
        #expect(asked.count > 9_000 && asked == cancelled)
        // The end: the time-out cancels the root, and the cancel sweeps down the tree.
        let request = try #require(trace.events.first { $0.event == "cancel_requested" && $0.name == "stress" })
        let lastCancel = try #require(trace.events.filter { $0.event == "cancelled" }.map(\.at).max())
        let sweep = Double(lastCancel - request.at) / 1e9
        print("stress: \(spawned) tasks, \(trace.events.count) events, headless run \(took), cancel sweep \(sweep) s")
        #expect(sweep < 5)
    }
}

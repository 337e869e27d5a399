import AsyncTopDemos
import AsyncTopModel
import Foundation
import Testing
import TmuxTestSupport

/// The demos of executors, threads and scale, run headless and checked by their summary
/// and the facts of their trace.
@Suite struct ExecutorDemoTests {
    func run(_ name: String, speed: Double) async throws -> DemoRun {
        let demo = try #require(DemoCatalogue.named(name))
        let run = await DemoRunner.run(demo, speed: speed)
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
        #expect(trace.names("done").contains("ticker"))
    }

    @Test func stressRunsTenThousandTasksAndCancelsThemPromptly() async throws {
        let clock = ContinuousClock()
        var run: DemoRun?
        let took = try await clock.measure {
            run = try await Demo.$duration.withValue(1.5) { try await self.run("stress", speed: 1) }
        }
        let trace = try #require(run)
        let spawned = trace.events.filter { $0.event == "spawned" }.count
        #expect(spawned >= 10_000)
        #expect(trace.names("spawned").filter { $0.hasPrefix("worker-") }.count == 10_000)
        // The end: the time-out cancels the root and the cancel reaches every worker soon after.
        let request = try #require(trace.events.first { $0.event == "cancel_requested" && $0.name == "stress" })
        let lastCancel = try #require(trace.events.last { $0.event == "cancelled" })
        let sweep = Double(lastCancel.at - request.at) / 1e9
        print("stress: \(spawned) tasks, \(trace.events.count) events, headless run \(took), cancel sweep \(sweep) s")
        #expect(sweep < 1)
    }
}

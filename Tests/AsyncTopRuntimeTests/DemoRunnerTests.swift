import AsyncTopDemos
import AsyncTopModel
import AsyncTopTracing
import Synchronization
import Testing

/// Each demo run headless, faster than real time where its timing allows, checked by its
/// summary and the facts of its trace.
@Suite struct DemoRunnerTests {
    func run(_ name: String, speed: Double = 4) async throws -> DemoRun {
        let demo = try #require(DemoCatalogue.named(name))
        let run = await DemoRunner.run(demo, speed: speed, thresholds: .forSuite(demo, speed: speed))
        #expect(run.observed == run.expected, "\(name)")
        // Every demo names the lints it fires; the others must stay quiet.
        #expect(run.firedLints == demo.lints, "\(name): \(run.events.filter { $0.event == "lint" }.compactMap(\.detail))")
        #expect(run.ok)
        return run
    }

    func doneOrder(_ run: DemoRun, among names: Set<String>) -> [String] {
        run.names("done").filter(names.contains)
    }

    @Test func gatherFinishesBThenAThenC() async throws {
        let run = try await run("gather")
        #expect(doneOrder(run, among: ["a", "b", "c"]) == ["b", "a", "c"])
        #expect(Set(run.names("spawned")).isSuperset(of: ["a", "b", "c"]))
        #expect(run.events.contains { $0.event == "suspended" && $0.name == "a" && ($0.detail ?? "").hasPrefix("sleep") })
    }

    @Test func asCompletedYieldsBThenAThenC() async throws {
        let run = try await run("as-completed")
        #expect(run.observed == "[b, a, c]")
        #expect(doneOrder(run, among: ["a", "b", "c"]) == ["b", "a", "c"])
    }

    @Test func toThreadLetsTheSleeperFinishFirst() async throws {
        let run = try await run("to-thread", speed: 4)
        #expect(doneOrder(run, among: ["sleeper", "blocking-io"]) == ["sleeper", "blocking-io"])
    }

    @Test func cancelCascadeCancelsTheTree() async throws {
        let run = try await run("cancel-cascade", speed: 8)
        let cancelled = run.names("cancelled")
        #expect(Set(cancelled).isSuperset(of: ["root", "middle"]))
        // Native tasks show the name they were given once they wait on the loop's own awaits
        // (the leaves sleep) or spawn (the branches start their leaves); async lets, which
        // have no names, stay "async let".
        #expect(Set(cancelled).isSuperset(of: ["leaf-1.1", "leaf-1.2", "leaf-2.1", "leaf-2.2", "leaf-3.1", "leaf-3.2"]))
        #expect(Set(cancelled).isSuperset(of: ["branch-1", "branch-2", "branch-3"]))
        #expect(!cancelled.contains("group child"))
        #expect(cancelled.filter { $0 == "async let" }.count == 3)
        #expect(run.names("cancel_requested").contains("root"))
        #expect(Set(cancelled).isSuperset(of: ["gatherer", "fetch-1", "fetch-2", "fetch-3"]))
        let fetchRequests = run.events.filter { $0.event == "cancel_requested" && ($0.name ?? "").hasPrefix("fetch-") }
        #expect(fetchRequests.count == 3 && fetchRequests.allSatisfy { ($0.detail ?? "").contains("cancel of gather") })
    }

    @Test func waitForTimeoutCancelsTheQuery() async throws {
        let run = try await run("wait-for-timeout")
        #expect(run.names("cancel_requested") == ["slow-query"])
        #expect(run.names("cancelled") == ["slow-query"])
    }

    @Test func shieldLetsTheSaveFinish() async throws {
        let run = try await run("shield")
        #expect(run.names("cancelled").contains("request"))
        #expect(run.names("done").contains("save"))
        #expect(!run.names("cancel_requested").contains("save"))
    }

    @Test func taskGroupCancelsTheSiblingsOfAFailure() async throws {
        let run = try await run("task-group")
        #expect(run.names("failed").contains("child-2"))
        #expect(Set(run.names("cancelled")).isSuperset(of: ["child-1", "child-3"]))
    }

    @Test func semaphoreCrawlerFetchesFiftyFiveAtATime() async throws {
        let run = try await run("semaphore-crawler")
        #expect(run.names("done").filter { $0.hasPrefix("fetch-") }.count == 50)
        #expect(run.events.contains { $0.event == "suspended" && ($0.detail ?? "").contains("crawler") })
    }

    @Test func producerConsumerDrainsTheQueue() async throws {
        let run = try await run("producer-consumer")
        #expect(run.names("done").contains("producer"))
        #expect(Set(run.names("cancelled")) == ["consumer-1", "consumer-2"])
        #expect(run.events.contains { $0.event == "suspended" && $0.name == "producer" && ($0.detail ?? "").contains("jobs") })
    }

    @Test func deadlockIsReportedAndBothCancelled() async throws {
        let run = try await run("deadlock")
        #expect(Set(run.names("cancelled")) == ["left", "right"])
        #expect(run.events.contains { $0.event == "suspended" && $0.name == "left" && ($0.detail ?? "").contains("second") })
    }

    @Test func waitModesReturnAsEachModeSays() async throws {
        let run = try await run("wait-modes")
        #expect(run.names("failed") == ["boom"])
        #expect(run.names("cancelled") == ["z"])
        #expect(run.names("cancel_requested") == ["z"])
        #expect(run.events.contains { $0.event == "suspended" && ($0.detail ?? "").hasPrefix("wait for 3") })
    }

    @Test func asyncGeneratorYieldsPowersOfTwoAndIsClosedEarly() async throws {
        let run = try await run("async-generator")
        #expect(run.output.prefix(11) == ["got 1", "got 2", "got 4", "got 8", "got 16", "got 32", "got 64", "got 128",
                                          "got 256", "got 512", "got 1024"])
        #expect(run.names("done").contains("powers-of-two"))
        #expect(run.names("cancelled") == ["powers-closed"])
        // The generator waits on its queue while the consumer has not taken a value.
        #expect(run.events.contains { $0.event == "suspended" && $0.name == "powers-of-two" && ($0.detail ?? "").contains("powers-of-two") })
    }

    @Test func stubbornCancelIsRequestedButNotAcknowledgedAndSwallowed() async throws {
        let run = try await run("stubborn-cancel")
        #expect(Set(run.names("cancel_requested")) == ["busy-loop", "catcher"])
        #expect(run.names("cancelled").isEmpty)
        #expect(Set(run.names("done")).isSuperset(of: ["busy-loop", "catcher"]))
        let lints = run.events.filter { $0.event == "lint" }
        #expect(lints.contains { $0.name == "busy-loop" && ($0.detail ?? "").hasPrefix("cancel-not-acknowledged") })
        #expect(!lints.contains { $0.name == "catcher" && ($0.detail ?? "").hasPrefix("cancel-not-acknowledged") })
        #expect(lints.contains { $0.name == "catcher" && ($0.detail ?? "").hasPrefix("cancel-swallowed") && ($0.detail ?? "").contains("caught it in sleep") })
        #expect(lints.contains { $0.name == "busy-loop" && ($0.detail ?? "").contains("never saw it") })
        #expect(run.output.contains { $0.hasPrefix("catcher: caught") })
    }

    @Test func orphanedThreadWorkRunsOnAfterTheCancel() async throws {
        let run = try await run("orphaned-thread-work", speed: 4)
        #expect(run.names("cancelled") == ["upload"])
        let lint = try #require(run.events.first { $0.event == "lint" && ($0.detail ?? "").hasPrefix("orphaned-work") })
        #expect(lint.name == "upload")
        #expect((lint.detail ?? "").contains("upload 2 s of data"))
        let cancelled = try #require(run.events.first { $0.event == "cancelled" && $0.name == "upload" })
        let finished = try #require(run.events.first { $0.event == "output" && ($0.detail ?? "").hasPrefix("the orphaned work finished") })
        #expect(finished.at > cancelled.at)
    }

    @Test func exceptionNeverRetrievedIsFlagged() async throws {
        let run = try await run("exception-never-retrieved")
        #expect(run.names("failed") == ["fire-and-forget"])
        let lint = try #require(run.events.first { $0.event == "lint" })
        #expect(lint.name == "fire-and-forget")
        #expect((lint.detail ?? "").contains("connection reset"))
    }

    @Test func everyDemoHasADistinctNameAndAnExpectation() {
        let names = DemoCatalogue.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(DemoCatalogue.all.allSatisfy { !$0.expected.isEmpty })
        // Each explains its concept and what to look at in the dashboard.
        for demo in DemoCatalogue.all {
            #expect(demo.about.count > 100 && demo.about.contains("dashboard"), "\(demo.name)")
        }
    }
}

/// The lints a headless run reports.
@Suite struct DemoRunnerLintTests {
    @Test func blockingTheLoopIsFlaggedAsALongStep() async throws {
        // Real time: the lint's threshold is 100 ms of wall time.
        let run = await DemoRunner.run(try #require(DemoCatalogue.named("blocking-the-loop")))
        #expect(run.ok, "\(run.observed)")
        let lints = run.events.filter { $0.event == "lint" }
        #expect(lints.contains { $0.name == "blocker" && ($0.detail ?? "").hasPrefix("long-step") })
        #expect(!lints.contains { $0.name == "ticker" })
    }

    /// At speed 4 the blocker blocks 75 ms, and the long-step limit is 100 ms of demo time
    /// (25 ms): it fires. It did not when only the cancel and error limits were scaled.
    @Test func blockingTheLoopIsFlaggedAsALongStepFasterThanRealTime() async throws {
        let run = await DemoRunner.run(try #require(DemoCatalogue.named("blocking-the-loop")), speed: 4)
        #expect(run.observed == run.expected)
        let lints = run.events.filter { $0.event == "lint" }
        #expect(lints.contains { $0.name == "blocker" && ($0.detail ?? "").hasPrefix("long-step") }, "\(lints)")
        #expect(run.firedLints.contains(.longStep))
    }

    /// A run that streams its events keeps none, and still knows which lints fired.
    @Test func aStreamedRunKeepsNoEventsButItsLints() async throws {
        let seen = Mutex<[TraceEvent]>([])
        let run = await DemoRunner.run(try #require(DemoCatalogue.named("deadlock")), speed: 2, keepEvents: false) { event in
            seen.withLock { $0.append(event) }
        }
        #expect(run.events.isEmpty)
        #expect(run.ok, "\(run.observed), \(run.firedLints)")
        let streamed = seen.withLock { $0 }
        #expect(streamed.contains { $0.event == "lint" && ($0.detail ?? "").hasPrefix("deadlock") })
        #expect(Set(streamed.filter { $0.event == "cancelled" }.compactMap(\.name)) == ["left", "right"])
    }

    @Test func theDeadlockDemoIsFlaggedAsADeadlock() async throws {
        let run = await DemoRunner.run(try #require(DemoCatalogue.named("deadlock")), speed: 2)
        #expect(run.ok, "\(run.observed)")
        let lint = try #require(run.events.first { $0.event == "lint" && ($0.detail ?? "").hasPrefix("deadlock") })
        #expect((lint.detail ?? "").contains("left") && (lint.detail ?? "").contains("right"))
    }
}

extension LintThresholds {
    /// The limits for a demo run in the test suite at `speed`. A step's length is wall time,
    /// which the suite's parallel tests on 2 cores stretch by tens of milliseconds: a demo
    /// that blocks nothing keeps the long-step limit at its real-time 100 ms, not the
    /// 100 ms of demo time (25 ms at speed 4) a user's run has. The binary's catalogue test
    /// runs them with the scaled limit, one at a time.
    static func forSuite(_ demo: Demo, speed: Double) -> LintThresholds {
        demo.lints.contains(.longStep) ? LintThresholds() : LintThresholds(longStep: Nanos(100_000_000 * max(speed, 1)))
    }
}

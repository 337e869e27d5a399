@testable import AsyncTopMetrics
import AsyncTopRuntime
import Dispatch
import Glibc
import Metrics
import MetricsTestKit
import Testing

@Suite struct LoopMetricsTests {
    /// A real loop with three tasks parked and five that finished, reported to a test backend.
    @Test func gaugesCountersAndTimersOfARealLoop() async throws {
        let metrics = TestMetrics()
        try await EventLoop.run(name: "metered", reportLeftovers: { _ in }) {
            let loop = EventLoop.current!
            let reporter = LoopMetrics(loop, dimensions: [("service", "api")], factory: metrics)
            let parked = try (0..<3).map { i in try spawn(name: "parked \(i)") { try await sleep(3600) } }
            for i in 0..<5 { _ = try await spawn(name: "quick \(i)") { try await sleep(0.001); return i }.value }
            try await sleep(0.01)
            reporter.reportNow()
            let dims = [("loop", "metered"), ("service", "api")]
            #expect(try metrics.expectGauge("asynctop_tasks", dims + [("state", "suspended")]).lastValue == 3)
            #expect(try metrics.expectGauge("asynctop_tasks", dims + [("state", "running")]).lastValue == 1)  // main
            let spawned = try metrics.expectCounter("asynctop_tasks_spawned_total", dims).totalValue
            let steps = try metrics.expectCounter("asynctop_loop_steps_total", dims).totalValue
            #expect(spawned == Int64(loop.snapshot().stats.totalSpawned))
            #expect(steps > 10)
            let stepTimer = try metrics.expectTimer("asynctop_step_duration", dims)
            // One value per step so far (as few as these); the step running now counts at its end.
            #expect(abs(stepTimer.values.count - Int(steps)) <= 1)
            #expect(stepTimer.values.allSatisfy { $0 >= 0 && $0 < 5_000_000_000 })
            #expect(try metrics.expectTimer("asynctop_schedule_latency", dims).values.count > 0)

            // The second report adds only what happened since the first.
            _ = try await spawn(name: "one more") { 1 }.value
            reporter.reportNow()
            #expect(try metrics.expectCounter("asynctop_tasks_spawned_total", dims).totalValue == spawned + 1)
            let moreSteps = try metrics.expectCounter("asynctop_loop_steps_total", dims).totalValue - steps
            #expect(moreSteps >= 1 && moreSteps < 20)
            #expect(abs(try metrics.expectTimer("asynctop_step_duration", dims).values.count - Int(steps + moreSteps)) <= 1)
            for task in parked { task.cancel() }
        }
    }

    @Test func executorsReportTheirQueuesAndWaits() async throws {
        let metrics = TestMetrics()
        try await EventLoop.run(name: "pooled", reportLeftovers: { _ in }) {
            let loop = EventLoop.current!
            let pool = try ThreadPoolExecutor(maxWorkers: 1, name: "one-worker")
            defer { pool.shutdown(wait: false) }
            let reporter = LoopMetrics(loop, factory: metrics)
            // Three calls on one worker: two wait in the queue.
            async let a: Void = runInExecutor(pool) { usleep(20_000) }
            async let b: Void = runInExecutor(pool) { usleep(20_000) }
            async let c: Void = runInExecutor(pool) { usleep(20_000) }
            try await sleep(0.01)
            reporter.reportNow()
            let dims = [("loop", "pooled"), ("executor", "one-worker")]
            #expect(try metrics.expectGauge("asynctop_executor_busy_workers", dims).lastValue == 1)
            #expect(try metrics.expectGauge("asynctop_executor_queue_depth", dims).lastValue == 2)
            _ = try await (a, b, c)
        }
    }

    @Test func theReportingThreadReportsOnItsOwnAndStops() async throws {
        let metrics = TestMetrics()
        try await EventLoop.run(name: "ticking", reportLeftovers: { _ in }) {
            let reporter = LoopMetrics.report(EventLoop.current!, every: 0.05, factory: metrics)
            try await sleep(0.4)
            reporter.stop()
            let reports = try metrics.expectGauge("asynctop_tasks", [("loop", "ticking"), ("state", "running")]).values.count
            #expect(reports >= 2)
            try await sleep(0.2)
            #expect(try metrics.expectGauge("asynctop_tasks", [("loop", "ticking"), ("state", "running")]).values.count <= reports + 1)
        }
    }

    @Test func aBusyIntervalSendsAtMostTheLimitSpreadOverItsBuckets() {
        var h = DurationHistogram(precision: 4)
        h.record(1_000, times: 1_000_000)
        h.record(1_000_000, times: 10)
        let values = LoopMetrics.representativeValues(of: h, limit: 10_000)
        #expect(values.count <= 10_001 && values.count >= 9_990)
        #expect(values.contains { $0 >= 900_000 }, "a rare slow bucket keeps a value")
        #expect(values.allSatisfy { $0 <= h.max })
    }
}

/// README's swift-metrics example, as written there (with a `serve` that returns).
@Suite struct ReadmeMetricsExampleTests {
    func serve() async throws { try await sleep(0.25) }

    @Test func theReadmeExampleReportsThroughTheBootstrappedBackend() async throws {
        let metrics = TestMetrics()
        MetricsSystem.bootstrap(metrics)  // once per process: only this test bootstraps
        try await EventLoop.run(name: "api", reportLeftovers: { _ in }) {
            let metrics = LoopMetrics.report(EventLoop.current!, every: 0.05, dimensions: [("service", "api")])
            defer { metrics.stop() }
            try await serve()
        }
        let running = try metrics.expectGauge("asynctop_tasks", [("loop", "api"), ("service", "api"), ("state", "running")])
        #expect(running.values.count >= 2)
        #expect(try metrics.expectTimer("asynctop_step_duration", [("loop", "api"), ("service", "api")]).values.count > 0)
    }
}

import AsyncTopModel
import AsyncTopRuntime
import CoreMetrics
import Foundation
import Synchronization

/// Reports an event loop's counters, gauges and timers through swift-metrics, so that the
/// backend a program already uses (Prometheus, StatsD, OpenTelemetry…) receives them:
///
///     let reporter = LoopMetrics.report(loop)             // every 10 s, until the loop closes
///     let reporter = LoopMetrics.report(loop, every: 1, dimensions: [("service", "api")])
///
/// Each report reads one snapshot of the loop (from a thread of its own; the loop builds it
/// between two steps) and sends, with the dimensions `loop` and any given:
/// - gauges `asynctop_tasks{state}`, `asynctop_loop_ready_queue_depth`,
///   `asynctop_loop_pending_timers`, `asynctop_loop_busy_ratio`,
///   `asynctop_executor_queue_depth{executor}`, `asynctop_executor_busy_workers{executor}`;
/// - counters `asynctop_tasks_spawned_total`, `asynctop_loop_steps_total`, and the
///   floating-point counter `asynctop_loop_busy_seconds_total`, by what they grew since the
///   last report;
/// - timers `asynctop_step_duration`, `asynctop_schedule_latency`, `asynctop_loop_lag`
///   and `asynctop_executor_wait{executor}`: the durations recorded since the last report,
///   read from the loop's histograms (each value at its bucket's middle, within the
///   histogram's 6% error). An interval with more than ``timerValuesPerReport`` values
///   sends that many, spread in proportion over the buckets, so a busy loop cannot flood a
///   backend; the counters stay exact.
public final class LoopMetrics: Sendable {
    /// The most values one timer receives per report.
    public static let timerValuesPerReport = 10_000

    private struct State {
        var last: Snapshot?
        var stopped = false
    }

    public let loop: EventLoop
    private let factory: any MetricsFactory
    private let dimensions: [(String, String)]
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    /// Starts reporting `loop` every `seconds` on a thread of its own, until ``stop()`` or
    /// the loop closes. `factory` defaults to the one bootstrapped in `MetricsSystem`.
    public static func report(_ loop: EventLoop, every seconds: Double = 10,
                              dimensions: [(String, String)] = [], factory: (any MetricsFactory)? = nil) -> LoopMetrics {
        let reporter = LoopMetrics(loop, dimensions: dimensions, factory: factory)
        reporter.start(every: seconds)
        return reporter
    }

    /// A reporter that sends only when ``reportNow()`` is called.
    public init(_ loop: EventLoop, dimensions: [(String, String)] = [], factory: (any MetricsFactory)? = nil) {
        self.loop = loop
        self.factory = factory ?? MetricsSystem.factory
        self.dimensions = [("loop", loop.name)] + dimensions
    }

    private func start(every seconds: Double) {
        let seconds = seconds.isFinite ? max(seconds, 0.01) : 10
        let thread = Thread { [self] in
            while true {
                _ = wake.wait(timeout: .now() + seconds)
                if state.withLock({ $0.stopped }) || loop.isClosed { break }
                reportNow()
            }
        }
        thread.name = "asynctop-metrics"
        thread.start()
    }

    /// Stops the reporting thread (a report under way finishes first).
    public func stop() {
        state.withLock { $0.stopped = true }
        wake.signal()
    }

    /// Reads a snapshot of the loop and reports it now.
    public func reportNow() {
        report(loop.published(maxAge: 0))
    }

    /// Reports a snapshot: gauges as they are, counters and timers by what they grew since
    /// the snapshot reported before (all of it on the first report).
    func report(_ snapshot: Snapshot) {
        let last = state.withLock { state -> Snapshot? in
            let last = state.last
            state.last = snapshot
            return last
        }
        let stats = snapshot.stats
        let previous = last?.stats
        for kind in TaskStateKind.allCases {
            gauge("asynctop_tasks", [("state", kind.rawValue)]).record(stats.count(kind))
        }
        gauge("asynctop_loop_ready_queue_depth").record(stats.readyQueueDepth)
        gauge("asynctop_loop_pending_timers").record(stats.pendingTimers)
        gauge("asynctop_loop_busy_ratio").record(stats.busyFraction)
        counter("asynctop_tasks_spawned_total", grewFrom: previous?.totalSpawned, to: stats.totalSpawned)
        counter("asynctop_loop_steps_total", grewFrom: previous?.totalSteps, to: stats.totalSteps)
        if let busy = stats.busyTotal {
            let before = previous?.busyTotal ?? 0
            if busy > before {
                FloatingPointCounter(label: "asynctop_loop_busy_seconds_total", dimensions: dimensions, factory: factory)
                    .increment(by: Double(busy - before) / 1e9)
            }
        }
        timer("asynctop_step_duration", stats.stepHistogram, since: previous?.stepHistogram)
        timer("asynctop_schedule_latency", stats.latencyHistogram, since: previous?.latencyHistogram)
        timer("asynctop_loop_lag", stats.lagHistogram, since: previous?.lagHistogram)
        for executor in snapshot.executors {
            let labels = [("executor", executor.name)]
            gauge("asynctop_executor_queue_depth", labels).record(executor.queueDepth)
            gauge("asynctop_executor_busy_workers", labels).record(executor.busyWorkers)
            let before = last?.executors.first { $0.name == executor.name }?.waitHistogram
            timer("asynctop_executor_wait", executor.waitHistogram, since: before, labels)
        }
    }

    private func gauge(_ label: String, _ extra: [(String, String)] = []) -> Gauge {
        Gauge(label: label, dimensions: dimensions + extra, factory: factory)
    }

    private func counter(_ label: String, grewFrom before: UInt64?, to now: UInt64) {
        let before = before ?? 0
        guard now > before else { return }
        Counter(label: label, dimensions: dimensions, factory: factory).increment(by: Int64(clamping: now - before))
    }

    private func timer(_ label: String, _ now: DurationHistogram?, since before: DurationHistogram?,
                       _ extra: [(String, String)] = []) {
        guard let now else { return }
        // A histogram that is not a later reading of the last one (a new loop of the same
        // name) is reported whole.
        var interval = now
        if let before, let since = now.subtracting(before) { interval = since }
        guard !interval.isEmpty else { return }
        let timer = CoreMetrics.Timer(label: label, dimensions: dimensions + extra, factory: factory)
        for value in Self.representativeValues(of: interval, limit: Self.timerValuesPerReport) {
            timer.recordNanoseconds(Int64(clamping: value))
        }
    }

    /// The histogram's values as a list: each bucket's count of its middle (capped by the
    /// maximum), at most `limit` values in all, spread over the buckets in proportion (a
    /// bucket that has values keeps at least one).
    static func representativeValues(of histogram: DurationHistogram, limit: Int) -> [Nanos] {
        let scale = histogram.count > UInt64(limit) ? Double(limit) / Double(histogram.count) : 1
        var values: [Nanos] = []
        for bucket in histogram.buckets {
            let middle = min(bucket.lower + (bucket.upper - bucket.lower) / 2, histogram.max)
            let n = scale == 1 ? Int(bucket.count) : max(1, Int((Double(bucket.count) * scale).rounded()))
            values.append(contentsOf: repeatElement(middle, count: n))
        }
        return values
    }
}

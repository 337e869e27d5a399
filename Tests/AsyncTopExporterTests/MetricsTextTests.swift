import AsyncTopExporter
import AsyncTopModel
import Testing

/// The exposition text of constructed snapshots: names, labels and their escaping, and the
/// histograms' buckets.
struct MetricsTextTests {
    /// A histogram from values in nanoseconds.
    static func histogram(_ values: [Nanos], precision: Int = 4) -> AsyncTopModel.DurationHistogram {
        var h = AsyncTopModel.DurationHistogram(precision: precision)
        for v in values { h.record(v) }
        return h
    }

    /// A loop with every kind of series: tasks by state, counters, histograms, an executor, a lint.
    static func snapshot(loopName: String = "crawler", histograms: Bool = true) -> Snapshot {
        var stats = LoopStats(tasksByState: [.suspended: 7, .running: 1, .done: 3], totalSpawned: 11, totalSteps: 250)
        if histograms {
            stats.lagHistogram = histogram([2_000, 20_000, 200_000, 2_000_000, 7_000_000_000])
            stats.stepHistogram = histogram([1_000, 1_000, 40_000])
            stats.latencyHistogram = histogram([])
            stats.busyTotal = 1_500_000_000
        }
        let slow = TaskInfo(id: 4, name: "slow", state: .suspended(.unknown), maxStep: 300_000_000)
        let pool = ExecutorInfo(name: "pool \"io\"", kind: .threads,
                                workers: [WorkerInfo(name: "w1", item: 9), WorkerInfo(name: "w2")],
                                queueDepth: 5, waitHistogram: histograms ? histogram([60_000, 600_000]) : nil)
        return Snapshot(version: 1, takenAt: 5_000_000_000, loopName: loopName, stats: stats, tasks: [slow], executors: [pool])
    }

    /// The sample lines (`name{labels} value`) as (series, value).
    static func samples(_ text: String) -> [(series: String, value: String)] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let space = line.lastIndex(of: " ")!
            return (String(line[..<space]), String(line[line.index(after: space)...]))
        }
    }

    static func value(_ text: String, _ series: String) -> String? { samples(text).first { $0.series == series }?.value }

    @Test func bucketsAreCumulativeAndEndAtInfinityWithTheCount() {
        let h = Self.histogram([5_000, 10_000, 30_000, 90_000, 90_000, 2_000_000, 700_000_000, 9_000_000_000])
        let buckets = MetricsText.buckets(h)
        #expect(buckets.count == MetricsText.bucketBounds.count + 1)
        #expect(buckets.last == MetricsText.Bucket(bound: nil, count: 8))
        #expect(buckets.last?.le == "+Inf")
        for (a, b) in zip(buckets, buckets.dropFirst()) { #expect(a.count <= b.count, "\(a) then \(b)") }
        // 10µs: 5µs is in; 10µs itself lies in a bucket reaching above 10µs, so it is counted at 50µs.
        #expect(buckets[0] == MetricsText.Bucket(bound: 10_000, count: 1))
        #expect(buckets[1] == MetricsText.Bucket(bound: 50_000, count: 3))
        #expect(buckets[2] == MetricsText.Bucket(bound: 100_000, count: 5))
        #expect(buckets[5] == MetricsText.Bucket(bound: 5_000_000, count: 6))
        #expect(buckets[10] == MetricsText.Bucket(bound: 1_000_000_000, count: 7))
        #expect(buckets[11] == MetricsText.Bucket(bound: 5_000_000_000, count: 7))
        #expect(buckets.map(\.le) == ["1e-05", "5e-05", "0.0001", "0.0005", "0.001", "0.005", "0.01", "0.05", "0.1", "0.5", "1", "5", "+Inf"])
    }

    @Test func aBoundAtABucketsTopIsExact() {
        // At precision 0, buckets are powers of two: [1024, 2048) is wholly at or below 2047.
        let h = Self.histogram([1_024, 2_047, 2_048], precision: 0)
        #expect(MetricsText.buckets(h, bounds: [2_047, 4_095]).map(\.count) == [2, 3, 3])
        #expect(MetricsText.buckets(Self.histogram([])).allSatisfy { $0.count == 0 })
    }

    @Test func everySeriesOfALoopIsNamedAndLabelled() {
        let reading = TargetReading(target: "/run/a.sock", up: true, dataAge: 0.25, process: "crawler[42]", snapshot: Self.snapshot())
        let text = MetricsText.render([reading], scrapes: 3)
        let loop = #"process="crawler[42]",loop="crawler""#
        #expect(Self.value(text, "asynctop_exporter_scrapes_total") == "3")
        #expect(Self.value(text, #"asynctop_target_up{target="/run/a.sock"}"#) == "1.0")
        #expect(Self.value(text, #"asynctop_target_data_age_seconds{target="/run/a.sock"}"#) == "0.25")
        // Every state, zeros included.
        for (state, count) in [("pending", 0), ("running", 1), ("suspended", 7), ("done", 3), ("failed", 0), ("cancelled", 0)] {
            #expect(Self.value(text, "asynctop_tasks{\(loop),state=\"\(state)\"}") == "\(count).0", "\(state)")
        }
        #expect(Self.value(text, "asynctop_tasks_spawned_total{\(loop)}") == "11")
        #expect(Self.value(text, "asynctop_loop_steps_total{\(loop)}") == "250")
        #expect(Self.value(text, "asynctop_loop_busy_seconds_total{\(loop)}") == "1.5")
        // Label values are escaped: the executor's name has double quotes.
        let pool = loop + #",executor="pool \"io\"""#
        #expect(Self.value(text, "asynctop_executor_queue_depth{\(pool)}") == "5.0")
        #expect(Self.value(text, "asynctop_executor_busy_workers{\(pool)}") == "1.0")
        #expect(Self.value(text, "asynctop_executor_wait_seconds_count{\(pool)}") == "2")
        #expect(Self.value(text, "asynctop_executor_wait_seconds_bucket{\(pool),le=\"0.0001\"}") == "1")
        // The lints the dashboard shows (a 300 ms step is a long step), every kind with zeros.
        #expect(Self.value(text, "asynctop_lints{\(loop),kind=\"long-step\"}") == "1.0")
        for kind in Lint.Kind.allCases where kind != .longStep {
            #expect(Self.value(text, "asynctop_lints{\(loop),kind=\"\(kind.rawValue)\"}") == "0.0", "\(kind)")
        }
        // Histograms: buckets, +Inf = count, sum in seconds.
        #expect(Self.value(text, "asynctop_loop_lag_seconds_bucket{\(loop),le=\"+Inf\"}") == "5")
        #expect(Self.value(text, "asynctop_loop_lag_seconds_bucket{\(loop),le=\"5\"}") == "4")
        #expect(Self.value(text, "asynctop_loop_lag_seconds_count{\(loop)}") == "5")
        #expect(Self.value(text, "asynctop_loop_lag_seconds_sum{\(loop)}") == "7.002222")
        #expect(Self.value(text, "asynctop_step_duration_seconds_count{\(loop)}") == "3")
        #expect(Self.value(text, "asynctop_schedule_latency_seconds_count{\(loop)}") == "0")
        #expect(Self.value(text, "asynctop_schedule_latency_seconds_bucket{\(loop),le=\"+Inf\"}") == "0")
        // One TYPE line per family, with the right type.
        let types = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ").dropFirst(2).joined(separator: " ") }
        #expect(Set(types).count == types.count, "\(types)")
        for family in ["asynctop_loop_lag_seconds histogram", "asynctop_step_duration_seconds histogram",
                       "asynctop_schedule_latency_seconds histogram", "asynctop_executor_wait_seconds histogram",
                       "asynctop_tasks gauge", "asynctop_tasks_spawned_total counter", "asynctop_loop_steps_total counter",
                       "asynctop_loop_busy_seconds_total counter", "asynctop_lints gauge", "asynctop_target_up gauge",
                       "asynctop_target_data_age_seconds gauge", "asynctop_exporter_scrapes_total counter",
                       "asynctop_executor_queue_depth gauge", "asynctop_executor_busy_workers gauge"] {
            #expect(types.contains(family), "\(family) in \(types)")
        }
    }

    /// Each loop of a process its own series; the pools every loop lists, once (with the first).
    @Test func eachLoopItsSeriesAndThePoolsOnce() {
        let reading = TargetReading(target: "/a.sock", up: true, process: "p[1]",
                                    loops: [Self.snapshot(loopName: "main"), Self.snapshot(loopName: "workers")])
        let text = MetricsText.render([reading], scrapes: 1)
        #expect(Self.value(text, #"asynctop_tasks{process="p[1]",loop="workers",state="suspended"}"#) == "7.0")
        #expect(Self.value(text, #"asynctop_tasks{process="p[1]",loop="main",state="suspended"}"#) == "7.0")
        let pools = Self.samples(text).filter { $0.series.hasPrefix("asynctop_executor_queue_depth") }.map(\.series)
        #expect(pools == [#"asynctop_executor_queue_depth{process="p[1]",loop="main",executor="pool \"io\""}"#], "\(pools)")
    }

    @Test func histogramsAndBusyTimeOnlyWhenTheLoopHasThem() {
        let reading = TargetReading(target: "/a.sock", up: true, process: "p", snapshot: Self.snapshot(histograms: false))
        let text = MetricsText.render([reading], scrapes: 1)
        for absent in ["asynctop_loop_lag_seconds", "asynctop_step_duration_seconds", "asynctop_schedule_latency_seconds",
                       "asynctop_executor_wait_seconds", "asynctop_loop_busy_seconds_total", "asynctop_target_data_age_seconds"] {
            #expect(!text.contains(absent), "\(absent)")
        }
        #expect(text.contains("asynctop_executor_queue_depth{"))
    }

    @Test func aDownTargetHasOnlyItsUpSeries() {
        let down = TargetReading(target: "/gone.sock", up: false, dataAge: 12, process: "gone.sock", snapshot: Self.snapshot())
        let text = MetricsText.render([down], scrapes: 1)
        #expect(Self.value(text, #"asynctop_target_up{target="/gone.sock"}"#) == "0.0")
        #expect(Self.value(text, #"asynctop_target_data_age_seconds{target="/gone.sock"}"#) == "12.0")
        #expect(!text.contains("process="))
    }

    @Test func labelValuesAreEscapedAndDuplicateLoopsMadeUnique() {
        let odd = "a\\b\"c\nd"
        let readings = [
            TargetReading(target: "/x/one.sock", up: true, process: odd, snapshot: Self.snapshot(loopName: "main")),
            TargetReading(target: "/x/two.sock", up: true, process: odd, snapshot: Self.snapshot(loopName: "main")),
        ]
        let text = MetricsText.render(readings, scrapes: 1)
        #expect(MetricsText.escape(odd) == #"a\\b\"c\nd"#)
        #expect(Self.value(text, #"asynctop_tasks{process="a\\b\"c\nd",loop="main",state="suspended"}"#) == "7.0")
        #expect(Self.value(text, #"asynctop_tasks{process="a\\b\"c\nd two.sock",loop="main",state="suspended"}"#) == "7.0")
        #expect(Self.value(text, #"asynctop_loop_lag_seconds_count{process="a\\b\"c\nd two.sock",loop="main"}"#) == "5")
        // No raw line feed inside a sample: every line is a comment or `series value`.
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.hasPrefix("asynctop_"), "\(line)")
        }
        let series = Self.samples(text).map(\.series)
        #expect(Set(series).count == series.count, "duplicate series")
    }

    @Test func numbersAreWrittenAsPrometheusWritesThem() {
        #expect(MetricsText.number(1) == "1")
        #expect(MetricsText.number(0.5) == "0.5")
        #expect(MetricsText.number(1e-5) == "1e-05")
        #expect(MetricsText.number(.infinity) == "+Inf")
        #expect(MetricsText.number(.nan) == "NaN")
    }
}

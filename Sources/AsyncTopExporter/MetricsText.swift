import AsyncTopModel
import Prometheus

/// What the exporter knows of one target at a scrape.
public struct TargetReading: Sendable {
    /// The socket's path (the `target` label).
    public var target: String
    /// Connected to a monitor that said hello.
    public var up: Bool
    /// Seconds since the last update from the target; nil before the first.
    public var dataAge: Double?
    /// The `process` label: `program[pid]` as the monitor reports it, else the socket's file name.
    public var process: String
    /// The last snapshot, while up; nil when down (its series go away).
    public var snapshot: Snapshot? {
        get { loops.isEmpty ? nil : Snapshot.merging(loops) }
        set { loops = newValue.map { [$0] } ?? [] }
    }
    /// Each loop the process serves on the socket, while up: each gets its own series
    /// (the `loop` label).
    public var loops: [Snapshot]

    public init(target: String, up: Bool, dataAge: Double? = nil, process: String, snapshot: Snapshot? = nil) {
        self.init(target: target, up: up, dataAge: dataAge, process: process, loops: snapshot.map { [$0] } ?? [])
    }

    public init(target: String, up: Bool, dataAge: Double? = nil, process: String, loops: [Snapshot]) {
        self.target = target
        self.up = up
        self.dataAge = dataAge
        self.process = process
        self.loops = loops
    }
}

/// The Prometheus text exposition format (0.0.4) of a set of targets.
///
/// Gauges and counters go through swift-prometheus' registry (one registry per family, so the
/// families come out in a fixed order). Its histogram type only takes observations one at a
/// time, and ours arrive already bucketed, so the histograms are written here by hand, with
/// the registry's escaping rules (backslash, double quote and line feed in label values).
public enum MetricsText {
    /// The `le` bounds of every histogram, in nanoseconds: 10µs to 5s; `+Inf` follows.
    public static let bucketBounds: [Nanos] = [
        10_000, 50_000, 100_000, 500_000, 1_000_000, 5_000_000, 10_000_000, 50_000_000, 100_000_000, 500_000_000,
        1_000_000_000, 5_000_000_000,
    ]

    /// One `_bucket` line: its bound (nil for `+Inf`) and the values at or below it.
    public struct Bucket: Hashable, Sendable {
        public var bound: Nanos?
        public var count: UInt64
        public init(bound: Nanos?, count: UInt64) {
            self.bound = bound
            self.count = count
        }
        /// The `le` label's value: seconds as Prometheus' own clients write them ("1e-05", "0.5", "1", "+Inf").
        public var le: String { bound.map { MetricsText.number(Double($0) / 1e9) } ?? "+Inf" }
    }

    /// `histogram` on fixed bounds: cumulative counts, each counting the model's buckets that
    /// lie wholly at or below the bound (so a value within a bucket's width of a bound may be
    /// counted in the next one: 6.25% at precision 4), ending with `+Inf` = the count.
    public static func buckets(_ histogram: AsyncTopModel.DurationHistogram, bounds: [Nanos] = bucketBounds) -> [Bucket] {
        var out = bounds.sorted().map { Bucket(bound: $0, count: histogram.cumulativeCount(atOrBelow: $0)) }
        out.append(Bucket(bound: nil, count: histogram.count))
        return out
    }

    /// A number as Prometheus writes it: "1" rather than "1.0", "1e-05", "NaN", "+Inf".
    public static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        let text = "\(value)"
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    /// A label value escaped as the text format wants (and as swift-prometheus escapes).
    public static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for character in value.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// The text of a scrape: the exporter's own counter, each target's state, and each up
    /// target's loop. `(process, loop)` pairs are made unique (a second one gets its socket's
    /// file name added to `process`), since Prometheus refuses a scrape with duplicate series.
    public static func render(_ readings: [TargetReading], scrapes: UInt64, thresholds: LintThresholds = LintThresholds()) -> String {
        let families = Families()
        families.scrapes.counter(name: "asynctop_exporter_scrapes_total", help: "Scrapes this exporter has answered, this one included.")
            .increment(by: Int64(clamping: scrapes))
        var histograms = HistogramFamilies()
        var seen = Set<[String]>()
        for reading in readings.sorted(by: { $0.target < $1.target }) {
            let target = [("target", reading.target)]
            families.up.gauge(name: "asynctop_target_up", labels: target,
                                  help: "1 when the exporter is connected to the target's monitor socket, else 0.")
                .set(reading.up ? 1.0 : 0.0)
            if let age = reading.dataAge {
                families.age.gauge(name: "asynctop_target_data_age_seconds", labels: target,
                                       help: "Seconds since the last update came from the target: the age of the data served.")
                    .set(age)
            }
            guard reading.up else { continue }
            for (n, snapshot) in reading.loops.enumerated() {
                var process = reading.process
                if seen.contains([process, snapshot.loopName]) { process += " " + (reading.target.split(separator: "/").last.map(String.init) ?? reading.target) }
                seen.insert([process, snapshot.loopName])
                // Every loop lists the process's pools: their series go with the first loop.
                families.add(snapshot, process: process, thresholds: thresholds, histograms: &histograms, pools: n == 0)
            }
        }
        var text = families.emit(upTo: .lints)
        histograms.emit(into: &text)
        text += families.emit(from: .lints)
        return text
    }
}

/// One swift-prometheus registry per gauge or counter family, in output order.
final class Families {
    enum Slot: Int, CaseIterable { case scrapes, up, age, tasks, spawned, steps, busy, queueDepth, busyWorkers, lints }
    let registries = Slot.allCases.map { _ in PrometheusCollectorRegistry() }
    subscript(slot: Slot) -> PrometheusCollectorRegistry { registries[slot.rawValue] }
    var scrapes: PrometheusCollectorRegistry { self[.scrapes] }
    var up: PrometheusCollectorRegistry { self[.up] }
    var age: PrometheusCollectorRegistry { self[.age] }

    func add(_ snapshot: Snapshot, process: String, thresholds: LintThresholds, histograms: inout HistogramFamilies,
             pools: Bool = true) {
        let loop = [("process", process), ("loop", snapshot.loopName)]
        let stats = snapshot.stats
        for state in TaskStateKind.allCases {
            self[.tasks].gauge(name: "asynctop_tasks", labels: loop + [("state", state.rawValue)],
                                   help: "Live and retained tasks of the loop, by state.")
                .set(Double(stats.count(state)))
        }
        self[.spawned].counter(name: "asynctop_tasks_spawned_total", labels: loop, help: "Tasks the loop has spawned since it started.")
            .increment(by: Int64(clamping: stats.totalSpawned))
        self[.steps].counter(name: "asynctop_loop_steps_total", labels: loop, help: "Steps the loop has run since it started.")
            .increment(by: Int64(clamping: stats.totalSteps))
        if let busy = stats.busyTotal {
            let counter = self[.busy].counter(name: "asynctop_loop_busy_seconds_total", labels: loop,
                                                  help: "Seconds the loop spent running steps since it started.")
            // A counter prints an integer until a fraction is added: zero stays "0".
            if busy > 0 { counter.increment(by: Double(busy) / 1e9) }
        }
        histograms.lag.add(stats.lagHistogram, labels: loop)
        histograms.step.add(stats.stepHistogram, labels: loop)
        histograms.latency.add(stats.latencyHistogram, labels: loop)
        var executors = Set<String>()
        for executor in snapshot.executors where (pools || executor.kind == .loop) && executors.insert(executor.name).inserted {
            let labels = loop + [("executor", executor.name)]
            self[.queueDepth].gauge(name: "asynctop_executor_queue_depth", labels: labels,
                                        help: "Items waiting in the executor's queue.")
                .set(Double(executor.queueDepth))
            self[.busyWorkers].gauge(name: "asynctop_executor_busy_workers", labels: labels,
                                         help: "Workers of the executor running an item.")
                .set(Double(executor.busyWorkers))
            histograms.wait.add(executor.waitHistogram, labels: labels)
        }
        var byKind: [Lint.Kind: Int] = [:]
        for lint in Lints.evaluate(snapshot, thresholds) { byKind[lint.kind, default: 0] += 1 }
        for kind in Lint.Kind.allCases {
            self[.lints].gauge(name: "asynctop_lints", labels: loop + [("kind", kind.rawValue)],
                                   help: "Lints the dashboard shows for the loop's snapshot, by kind.")
                .set(Double(byKind[kind] ?? 0))
        }
    }

    func emit(upTo end: Slot) -> String { emit(Slot.allCases.filter { $0.rawValue < end.rawValue }) }
    func emit(from start: Slot) -> String { emit(Slot.allCases.filter { $0.rawValue >= start.rawValue }) }
    private func emit(_ slots: [Slot]) -> String {
        var buffer: [UInt8] = []
        for slot in slots { self[slot].emit(into: &buffer) }
        return String(decoding: buffer, as: UTF8.self)
    }
}

/// The histogram families, written by hand (see ``MetricsText``).
struct HistogramFamilies {
    var lag = HistogramFamily(name: "asynctop_loop_lag_seconds", help: "How late the loop's timers fired, since it started.")
    var step = HistogramFamily(name: "asynctop_step_duration_seconds", help: "How long each step of the loop ran, since it started.")
    var latency = HistogramFamily(name: "asynctop_schedule_latency_seconds",
                                  help: "How long each job waited between its enqueue and its start, since the loop started.")
    var wait = HistogramFamily(name: "asynctop_executor_wait_seconds",
                               help: "How long items waited in the executor's queue before a worker took them.")

    func emit(into text: inout String) {
        for family in [lag, step, latency, wait] { family.emit(into: &text) }
    }
}

struct HistogramFamily {
    var name: String
    var help: String
    var series: [(labels: [(String, String)], histogram: AsyncTopModel.DurationHistogram)] = []

    mutating func add(_ histogram: AsyncTopModel.DurationHistogram?, labels: [(String, String)]) {
        if let histogram { series.append((labels, histogram)) }
    }

    /// HELP and TYPE once, then each series' buckets, sum and count; nothing without series.
    func emit(into text: inout String) {
        guard !series.isEmpty else { return }
        text += "# HELP \(name) \(help.replacingOccurrences(of: "\\", with: "\\\\"))\n# TYPE \(name) histogram\n"
        for (labels, histogram) in series {
            let rendered = labels.map { "\($0.0)=\"\(MetricsText.escape($0.1))\"" }.joined(separator: ",")
            for bucket in MetricsText.buckets(histogram) {
                text += "\(name)_bucket{\(rendered),le=\"\(bucket.le)\"} \(bucket.count)\n"
            }
            text += "\(name)_sum{\(rendered)} \(MetricsText.number(Double(histogram.sum) / 1e9))\n"
            text += "\(name)_count{\(rendered)} \(histogram.count)\n"
        }
    }
}

extension PrometheusCollectorRegistry {
    /// A gauge of the family `name` (each family always with the same help).
    func gauge(name: String, labels: [(String, String)] = [], help: String) -> Gauge {
        makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
    }

    func counter(name: String, labels: [(String, String)] = [], help: String) -> Counter {
        makeCounter(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
    }
}

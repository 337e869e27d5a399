import AsyncTopModel

/// ``DurationHistogram/bucketIndex(of:precision:)``, here again so that it inlines into
/// the loop's hot path (the model's is not inlinable across modules); a test holds them equal.
@inline(__always)
func bucketIndex(of value: Nanos, precision: Int) -> Int {
    let s = UInt64(1) << UInt64(precision)
    if value < 2 &* s { return Int(value) }
    let e = 63 &- value.leadingZeroBitCount
    let shift = e &- precision
    return shift &* Int(s) &+ Int(value >> UInt64(shift))
}

/// Bucket counts of a ``DurationHistogram`` as a hot path keeps them: one flat buffer of
/// counts indexed by ``DurationHistogram/bucketIndex(of:precision:)``, with the count, sum
/// and maximum beside them. Recording is an index computation and four stores; the value
/// type is built only when someone reads it (``histogram``), and again only once more
/// values came.
///
/// Not synchronized: its owner records and reads it on one thread (the loop's) or under
/// its own lock (a pool's). The buffer is a constant pointer, so recording goes through
/// no exclusivity check.
final class HistogramCounts {
    /// Every histogram of the runtime but a task's own is of this precision (6.25 %).
    static let precision = 4
    var precision: Int { Self.precision }
    /// `[count, sum, max, count of bucket 0, count of bucket 1, …]`.
    private let base: UnsafeMutablePointer<UInt64>
    private let buckets: Int
    /// The last value built, and the count it was built at.
    private var built: DurationHistogram
    private var builtCount: UInt64 = 0

    init() {
        buckets = DurationHistogram.bucketCount(precision: Self.precision)
        base = .allocate(capacity: buckets + 3)
        base.initialize(repeating: 0, count: buckets + 3)
        built = DurationHistogram(precision: Self.precision)
    }

    deinit { base.deallocate() }

    @inline(__always)
    func record(_ value: Nanos) {
        base[3 &+ bucketIndex(of: value, precision: Self.precision)] &+= 1
        base[0] &+= 1
        base[1] &+= value
        if value > base[2] { base[2] = value }
    }

    var count: UInt64 { base[0] }
    var sum: Nanos { base[1] }
    var max: Nanos { base[2] }

    /// The counts as a histogram value, built from the buckets used only.
    var histogram: DurationHistogram {
        let count = base[0]
        if count == builtCount { return built }
        // The maximum's bucket is the last one used.
        let last = Swift.min(bucketIndex(of: base[2], precision: Self.precision), buckets - 1)
        var first = 0
        while first < last && base[3 + first] == 0 { first += 1 }
        built = DurationHistogram(precision: Self.precision, offset: first,
                                  counts: UnsafeBufferPointer(start: base + 3 + first, count: last - first + 1),
                                  sum: base[1], max: base[2])
        builtCount = count
        return built
    }

    /// Forgets every value (only when something was recorded: a quiet second costs nothing).
    func reset() {
        guard base[0] != 0 else { return }
        base.update(repeating: 0, count: buckets + 3)
        built = DurationHistogram(precision: precision)
        builtCount = 0
    }
}

/// A task's own histograms: step durations and scheduling latencies in power-of-two
/// buckets (precision 0), 32 of each, the last also holding every value above it. Kept
/// only for tasks that ran at least twice, as 4-byte counts (saturating): 264 bytes.
struct TaskHistograms {
    static let buckets = 32
    /// `[steps 0..<32, latencies 0..<32]` as `UInt32`, then the latencies' sum.
    private let base: UnsafeMutableRawPointer

    static let byteCount = 2 * buckets * 4 + 8

    init() {
        base = .allocate(byteCount: Self.byteCount, alignment: 8)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: Self.byteCount)
    }

    func deallocate() { base.deallocate() }

    @inline(__always)
    private static func bucket(_ value: Nanos) -> Int {
        Swift.min(bucketIndex(of: value, precision: 0), buckets - 1)
    }

    @inline(__always)
    private func bump(_ index: Int) {
        let counts = base.assumingMemoryBound(to: UInt32.self)
        let (next, overflow) = counts[index].addingReportingOverflow(1)
        if !overflow { counts[index] = next }
    }

    @inline(__always)
    func recordStep(_ duration: Nanos) { bump(Self.bucket(duration)) }

    @inline(__always)
    func recordLatency(_ latency: Nanos) {
        bump(Self.buckets + Self.bucket(latency))
        (base + 2 * Self.buckets * 4).assumingMemoryBound(to: UInt64.self).pointee &+= latency
    }

    var latencySum: Nanos { (base + 2 * Self.buckets * 4).assumingMemoryBound(to: UInt64.self).pointee }

    /// The step histogram, with the sum and maximum the record keeps.
    func steps(sum: Nanos, max: Nanos) -> DurationHistogram { histogram(from: 0, sum: sum, max: max) }

    func latencies(max: Nanos) -> DurationHistogram { histogram(from: Self.buckets, sum: latencySum, max: max) }

    /// The last bucket holds everything from its lower bound on: its values are placed in
    /// the maximum's bucket when the maximum lies beyond it (so percentiles there read
    /// near the maximum rather than below it).
    private func histogram(from start: Int, sum: Nanos, max: Nanos) -> DurationHistogram {
        let counts = base.assumingMemoryBound(to: UInt32.self) + start
        var first = 0, last = Self.buckets - 1
        while first < last && counts[first] == 0 { first += 1 }
        while last > first && counts[last] == 0 { last -= 1 }
        var out = [UInt64](repeating: 0, count: last - first + 1)
        for i in first...last { out[i - first] = UInt64(counts[i]) }
        var offset = first
        let maxBucket = bucketIndex(of: max, precision: 0)
        if last == Self.buckets - 1, maxBucket > last {
            // The last bucket's values lie beyond it: put them in the maximum's bucket.
            let beyond = out.removeLast()
            if out.isEmpty { offset = maxBucket } else { out += repeatElement(0, count: maxBucket - last) }
            out.append(beyond)
        }
        return out.withUnsafeBufferPointer {
            DurationHistogram(precision: 0, offset: offset, counts: $0, sum: sum, max: max)
        }
    }
}

/// What an instrumented loop measures beyond its counters: the histograms of its steps,
/// their scheduling latencies and its timers' lateness since it started, and its series
/// of one-second samples. Written on the loop thread (or by whoever owns the loop's state,
/// see ``EventLoop/phase``).
final class LoopTimings {
    static let precision = HistogramCounts.precision
    static let second: Nanos = 1_000_000_000

    let steps = HistogramCounts()
    let latencies = HistogramCounts()
    let lags = HistogramCounts()
    /// The timers' lateness since the last sample (for its 99th percentile).
    let lagsThisSecond = HistogramCounts()

    var series = LoopSeries()
    /// The loop's counters at the last sample, to tell what happened since.
    var sampledSteps: UInt64 = 0
    var sampledSpawned: UInt64 = 0
    var sampledBusy: Nanos = 0
}

extension EventLoop {
    /// Adds the samples of the seconds of loop time that ended since the last one, if any.
    /// Called when the loop does something anyway (an iteration, a snapshot): an idle loop
    /// is never woken for it. The first of them gets what happened since the last sample;
    /// seconds the loop slept through follow with the same counts and no activity (the
    /// last ``LoopSeries/capacity`` of them).
    func recordSeries(now: Nanos) {
        let second = LoopTimings.second
        guard now >= stats.nextSampleAt else { return }
        let t = timings
        if stats.nextSampleAt == 0 {
            // The first call: the series starts with the second of loop time under way.
            stats.nextSampleAt = (now / second &+ 1) &* second
            t.sampledSteps = stats.steps
            t.sampledSpawned = registry.totalSpawned
            t.sampledBusy = t.steps.sum
            return
        }
        let counts = registry.countsByState()
        let depth = ready.count
        let steps = stats.steps, spawned = registry.totalSpawned, busy = t.steps.sum
        var at = stats.nextSampleAt
        let lagP99 = t.lagsThisSecond.count == 0 ? 0 : t.lagsThisSecond.histogram.p99
        t.series.append(LoopSample(at: at, tasksByState: counts, spawned: spawned &- t.sampledSpawned,
                                   steps: steps &- t.sampledSteps,
                                   busy: min(1, Double(busy &- t.sampledBusy) / Double(second)),
                                   lagP99: lagP99, readyQueueDepth: depth))
        let quiet = (now &- at) / second
        let kept = min(quiet, Nanos(LoopSeries.capacity))
        at &+= (quiet &- kept) &* second
        // The loop sleeps only with nothing ready: seconds it slept through had an empty
        // queue (the job that woke it now is not theirs). Seconds of one long step keep the
        // queue it has now.
        let sleptThrough = busy &- t.sampledBusy < (now &- stats.nextSampleAt) / 2
        for _ in 0..<kept {
            at &+= second
            t.series.append(LoopSample(at: at, tasksByState: counts, readyQueueDepth: sleptThrough ? 0 : depth))
        }
        stats.nextSampleAt = at &+ second
        t.sampledSteps = steps
        t.sampledSpawned = spawned
        t.sampledBusy = busy
        t.lagsThisSecond.reset()
    }
}

/// What a step records, timed in isolation (`asynctop-bench histogram_record`): the loop's
/// step and latency histograms and a task's own two, for `n` steps of varied durations,
/// less the same walk over the durations without recording.
@_spi(Bench) public enum RecordingCost {
    public static func measure(steps n: Int) -> (nanosPerStep: Double, checksum: UInt64) {
        // Durations from 100 ns to ~10 ms, spread evenly on a log scale.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let values: [Nanos] = (0..<4096).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return 100 << ((state >> 33) % 17) + (state >> 50)
        }
        let steps = HistogramCounts()
        let latencies = HistogramCounts()
        let task = TaskHistograms()
        defer { task.deallocate() }
        var checksum: UInt64 = 0
        let bare = time {
            for i in 0..<n {
                checksum &+= values[i & 4095] ^ values[(i &* 7) & 4095]
            }
        }
        let recording = time {
            for i in 0..<n {
                let d = values[i & 4095], l = values[(i &* 7) & 4095]
                checksum &+= d ^ l
                steps.record(d)
                latencies.record(l)
                task.recordStep(d)
                task.recordLatency(l)
            }
        }
        checksum &+= steps.sum &+ latencies.max &+ task.latencySum
        return (Double(recording - bare) / Double(n), checksum)
    }

    private static func time(_ body: () -> Void) -> UInt64 {
        let start = MonotonicClock.now()
        body()
        return MonotonicClock.now() - start
    }
}

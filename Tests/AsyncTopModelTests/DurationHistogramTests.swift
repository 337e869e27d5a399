import Foundation
import Testing
@testable import AsyncTopModel

@Suite struct DurationHistogramTests {
    @Test(arguments: DurationHistogram.precisions)
    func everyValueFallsInTheBucketThatHoldsIt(precision: Int) {
        var values: [UInt64] = Array(0...300) + [UInt64.max, UInt64.max - 1, 1 << 63, (1 << 63) - 1]
        var rng = SplitMix(seed: UInt64(precision))
        for _ in 0..<20_000 { values.append(rng.next() >> (rng.next() % 64)) }
        let buckets = DurationHistogram.bucketCount(precision: precision)
        for v in values {
            let i = DurationHistogram.bucketIndex(of: v, precision: precision)
            #expect(i >= 0 && i < buckets)
            let r = DurationHistogram.bucketRange(i, precision: precision)
            #expect(r.lower <= v && (v < r.upper || r.upper == .max), "value \(v) bucket \(i) \(r)")
            // The bucket is no wider than the promised relative error.
            if r.lower >= UInt64(2 << precision) {
                #expect(Double(r.upper - r.lower) <= Double(r.lower) / Double(1 << precision) + 1)
            }
        }
        // Buckets tile the line: each starts where the one before ends.
        for i in 1..<buckets {
            #expect(DurationHistogram.bucketRange(i, precision: precision).lower
                == DurationHistogram.bucketRange(i - 1, precision: precision).upper)
        }
    }

    @Test func percentilesOfAKnownDistributionAreWithinTheBucketError() {
        // Step times drawn from a log-normal around 50 µs, as a loop's steps often are.
        var rng = SplitMix(seed: 7)
        var values: [UInt64] = []
        var h = DurationHistogram(precision: 4)
        for _ in 0..<100_000 {
            let u1 = Double(rng.next() % 1_000_000 + 1) / 1_000_001, u2 = Double(rng.next() % 1_000_000) / 1_000_000
            let z = (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2)
            let v = UInt64(50_000 * Foundation.exp(0.8 * z))
            values.append(v)
            h.record(v)
        }
        values.sort()
        #expect(h.count == 100_000)
        #expect(h.max == values.last!)
        #expect(h.sum == values.reduce(0, +))
        for q in [0.5, 0.9, 0.99, 0.999] {
            let exact = Double(values[Int(q * Double(values.count)) - 1])
            let got = Double(h.percentile(q))
            #expect(abs(got - exact) / exact <= 1.0 / 16, "p\(q): \(got) vs \(exact)")
        }
        #expect(h.percentile(1) == h.max)
        #expect(h.percentile(0) <= values.first! + values.first! / 16 + 1)
    }

    @Test func percentilesNeverExceedTheMaximum() {
        var h = DurationHistogram(precision: 0)
        h.record(1_000)  // bucket 512..<1024: interpolation alone would say up to 1023
        h.record(600)
        #expect(h.p99 <= 1_000)
        #expect(h.p50 >= 512)
        #expect(DurationHistogram().p99 == 0)
    }

    @Test func mergeAddsAndCoarsens() {
        var fine = DurationHistogram(precision: 4), coarse = DurationHistogram(precision: 1)
        for v in stride(from: UInt64(100), to: 100_000, by: 997) { fine.record(v) }
        for v in stride(from: UInt64(5), to: 5_000_000, by: 49_999) { coarse.record(v) }
        var both = fine
        both.merge(coarse)
        #expect(both.precision == 1)
        #expect(both.count == fine.count + coarse.count)
        #expect(both.sum == fine.sum + coarse.sum)
        #expect(both.max == Swift.max(fine.max, coarse.max))
        #expect(both.counts.reduce(0, +) == both.count)
        var other = coarse
        other.merge(fine)
        #expect(other == both)
    }

    @Test func subtractingGivesTheValuesRecordedSince() {
        var h = DurationHistogram(precision: 3)
        for v: UInt64 in [10, 200, 3_000] { h.record(v) }
        let earlier = h
        for v: UInt64 in [5, 40_000, 41_000] { h.record(v) }
        let since = h.subtracting(earlier)
        #expect(since?.count == 3)
        #expect(since?.sum == 81_005)
        #expect(since.map { $0.max >= 41_000 && $0.max <= h.max } == true)
        #expect(earlier.subtracting(h) == nil)
        #expect(h.subtracting(h)?.isEmpty == true)
    }

    @Test func cumulativeCountsForPrometheusBuckets() {
        var h = DurationHistogram(precision: 2)
        for v: UInt64 in [1, 7, 100, 1_000, 1_000_000] { h.record(v) }
        #expect(h.cumulativeCount(atOrBelow: 0) == 0)
        #expect(h.cumulativeCount(atOrBelow: 7) == 2)
        #expect(h.cumulativeCount(atOrBelow: 999_999_999) == 5)
        #expect(h.cumulativeCount(atOrBelow: .max) == 5)
    }

    @Test func compactOnTheWireAndValidatedComingBack() throws {
        var h = DurationHistogram(precision: 4)
        for v: UInt64 in [900, 1_000, 1_100, 80_000] { h.record(v) }
        let data = try JSONEncoder().encode(h)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.count < 80, "\(text)")
        #expect(text.contains("-"), "runs of empty buckets are one number: \(text)")
        #expect(try JSONDecoder().decode(DurationHistogram.self, from: data) == h)
        for bad in [#"{"p":9,"o":0,"c":[],"n":0,"s":0,"m":0}"#, #"{"p":1,"o":0,"c":[1,2],"n":4,"s":0,"m":0}"#,
                    #"{"p":0,"o":60,"c":[1,1,1,1,1,1,1],"n":7,"s":0,"m":0}"#, #"{"p":0,"o":-1,"c":[1],"n":1,"s":0,"m":0}"#,
                    #"{"p":0,"o":0,"c":[9223372036854775807,9223372036854775807,2],"n":0,"s":0,"m":0}"#,
                    #"{"p":0,"o":0,"c":[1,-100000000000],"n":1,"s":0,"m":0}"#] {
            #expect(throws: DecodingError.self, "\(bad)") { try JSONDecoder().decode(DurationHistogram.self, from: Data(bad.utf8)) }
        }
    }

    @Test func aSeriesKeepsFiveMinutesInOrder() throws {
        var series = LoopSeries()
        for s in 1...400 { series.append(LoopSample(at: UInt64(s) * 1_000_000_000, steps: UInt64(s))) }
        #expect(series.samples.count == LoopSeries.capacity)
        #expect(series.samples.first?.steps == 101)
        let tail = series.suffix(seconds: 10)
        #expect(tail.samples.map(\.steps) == Array(391...400).map(UInt64.init))
        // A newer tail replaces what it overlaps and extends the rest.
        var newer = LoopSeries()
        for s in 395...402 { newer.append(LoopSample(at: UInt64(s) * 1_000_000_000, steps: 1_000 + UInt64(s))) }
        let merged = series.merged(with: newer)
        #expect(merged.samples.count == LoopSeries.capacity)
        #expect(merged.samples.last?.steps == 1_402)
        #expect(merged.samples.first { $0.at == 394_000_000_000 }?.steps == 394)
        #expect(merged.samples.first { $0.at == 395_000_000_000 }?.steps == 1_395)
        #expect(merged.upTo(200_500_000_000).samples.last?.steps == 200)
        let data = try JSONEncoder().encode(merged)
        #expect(try JSONDecoder().decode(LoopSeries.self, from: data) == merged)
    }

    @Test func deltasCarryTheSeriesTailAndApplyingJoinsIt() {
        func stats(_ upTo: Int) -> LoopStats {
            var series = LoopSeries()
            for s in 1...upTo { series.append(LoopSample(at: UInt64(s) * 1_000_000_000, steps: UInt64(s))) }
            return LoopStats(series: series)
        }
        let old = Snapshot(version: 1, stats: stats(100))
        let new = Snapshot(version: 2, stats: stats(103))
        let delta = SnapshotDelta.between(old, new)
        #expect(delta.stats.series?.samples.count == SnapshotDelta.seriesSeconds)
        #expect(old.applying(delta).stats.series == new.stats.series)
        var inPlace = old
        inPlace.apply(delta)
        #expect(inPlace.stats.series == new.stats.series)
        // A full delta replaces the series whole.
        #expect(Snapshot(stats: stats(300)).applying(.full(new)).stats.series == new.stats.series)
    }

    @Test func snapshotsWithHistogramsRoundTripAndOldOnesStillDecode() throws {
        var h = DurationHistogram(precision: 0)
        h.record(1_234)
        let task = TaskInfo(id: 3, name: "t", steps: 2, stepHistogram: h, latencyHistogram: h)
        var stats = LoopStats(stepHistogram: h, latencyHistogram: h, lagHistogram: h, busyTotal: 99)
        stats.series = LoopSeries(samples: [LoopSample(at: 1, tasksByState: [.running: 1], busy: 0.5)])
        let snap = Snapshot(version: 4, stats: stats, tasks: [task],
                            executors: [ExecutorInfo(name: "threads", kind: .threads, waitHistogram: h)])
        let back = try JSONDecoder().decode(Snapshot.self, from: JSONEncoder().encode(snap))
        #expect(back == snap)
        // Without the new keys (a recording from before): all nil.
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(snap)) as! [String: Any]
        var s = json["stats"] as! [String: Any]
        for k in ["stepHistogram", "latencyHistogram", "lagHistogram", "busyTotal", "series"] { s[k] = nil }
        json["stats"] = s
        json["tasks"] = (json["tasks"] as! [[String: Any]]).map { t in
            var t = t
            t["stepHistogram"] = nil
            t["latencyHistogram"] = nil
            return t
        }
        let old = try JSONDecoder().decode(Snapshot.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.stats.stepHistogram == nil && old.stats.series == nil && old.tasks[0].stepHistogram == nil)
    }
}

/// A small deterministic generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

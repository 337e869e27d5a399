/// A histogram of durations in nanoseconds, on log-linear buckets (HdrHistogram's layout,
/// in a few hundred bytes): below `2 << precision` every nanosecond has a bucket of its own,
/// and above, each power of two is cut into `1 << precision` equal buckets. A value is
/// placed within a relative error of `1 / (1 << precision)`: 50% at precision 0 (powers of
/// two), 6.25% at precision 4.
///
/// Percentiles interpolate within their bucket and never exceed the largest value recorded.
/// Stored sparsely: the counts from the first non-empty bucket to the last.
public struct DurationHistogram: Hashable, Sendable {
    /// Sub-bucket bits, 0...4.
    public let precision: Int
    /// The bucket index of `counts[0]`.
    public private(set) var offset: Int
    /// Counts from bucket `offset` on, with no trailing zeros (empty when nothing was recorded).
    public private(set) var counts: [UInt64]
    /// Values recorded.
    public private(set) var count: UInt64
    /// Their sum (wraps only after some 584 years of recorded time).
    public private(set) var sum: Nanos
    /// The largest value recorded; 0 when empty.
    public private(set) var max: Nanos

    public static let precisions = 0...4

    /// An empty histogram.
    public init(precision: Int = 4) {
        precondition(Self.precisions.contains(precision), "precision \(precision) is not in 0...4")
        self.precision = precision
        self.offset = 0
        self.counts = []
        self.count = 0
        self.sum = 0
        self.max = 0
    }

    /// A histogram from counts per bucket index, starting at bucket 0 (what an instrumented
    /// loop keeps), with the sum and the maximum it kept beside them.
    public init(precision: Int, bucketCounts: some Collection<UInt64>, sum: Nanos, max: Nanos) {
        self.init(precision: precision)
        var total: UInt64 = 0
        var first = -1, last = -1
        for (i, c) in bucketCounts.enumerated() where c != 0 {
            if first < 0 { first = i }
            last = i
            total &+= c
        }
        guard first >= 0 else { return }
        let all = Array(bucketCounts)
        offset = first
        counts = Array(all[first...last])
        count = total
        self.sum = sum
        // The maximum lies in the last bucket; keep what was kept when it is consistent.
        let range = Self.bucketRange(last, precision: precision)
        self.max = (range.lower..<range.upper).contains(max) ? max : range.upper - 1
    }

    /// The same from the counts of buckets `offset, offset + 1, …` only (a loop's buckets
    /// from the first it used to the last): no walk over the empty ones before them, and no
    /// generic code, which an unoptimized build runs slowly.
    public init(precision: Int, offset: Int, counts: UnsafeBufferPointer<UInt64>, sum: Nanos, max: Nanos) {
        self.init(precision: precision)
        var first = 0, last = counts.count - 1
        while first <= last && counts[first] == 0 { first += 1 }
        while last > first && counts[last] == 0 { last -= 1 }
        guard first <= last, offset >= 0, offset + last < Self.bucketCount(precision: precision) else { return }
        var total: UInt64 = 0
        var kept = [UInt64](repeating: 0, count: last - first + 1)
        kept.withUnsafeMutableBufferPointer { out in
            for i in first...last {
                out[i - first] = counts[i]
                total &+= counts[i]
            }
        }
        self.offset = offset + first
        self.counts = kept
        self.count = total
        self.sum = sum
        let range = Self.bucketRange(offset + last, precision: precision)
        self.max = (range.lower..<range.upper).contains(max) ? max : range.upper - 1
    }

    /// Buckets a histogram of this precision has (the last holds every value from 2^63 on).
    public static func bucketCount(precision: Int) -> Int {
        let s = 1 << precision
        return (63 - precision) * s + 2 * s
    }

    /// The bucket of `value`.
    @inline(__always)
    public static func bucketIndex(of value: Nanos, precision: Int) -> Int {
        let s = UInt64(1) << UInt64(precision)
        if value < 2 &* s { return Int(value) }
        let e = 63 - value.leadingZeroBitCount  // floor(log2(value)), above precision
        let shift = e - precision
        return shift * Int(s) + Int(value >> UInt64(shift))
    }

    /// The values bucket `index` holds: `lower..<upper` (`upper` saturates at `UInt64.max`).
    public static func bucketRange(_ index: Int, precision: Int) -> (lower: Nanos, upper: Nanos) {
        let s = 1 << precision
        if index < 2 * s { return (Nanos(index), Nanos(index) + 1) }
        let shift = index / s - 1
        let mantissa = UInt64(index % s + s)
        let lower = mantissa << UInt64(shift)
        let (upper, overflow) = lower.addingReportingOverflow(UInt64(1) << UInt64(shift))
        return (lower, overflow ? .max : upper)
    }

    public var isEmpty: Bool { count == 0 }

    /// Records `value` (`times` times).
    public mutating func record(_ value: Nanos, times: UInt64 = 1) {
        guard times > 0 else { return }
        add(bucket: Self.bucketIndex(of: value, precision: precision), times: times)
        count &+= times
        sum &+= value &* times
        if value > max { max = value }
    }

    private mutating func add(bucket index: Int, times: UInt64) {
        if counts.isEmpty {
            offset = index
            counts = [times]
        } else if index < offset {
            counts.insert(contentsOf: repeatElement(0, count: offset - index), at: 0)
            offset = index
            counts[0] += times
        } else {
            let i = index - offset
            if i >= counts.count { counts.append(contentsOf: repeatElement(0, count: i - counts.count + 1)) }
            counts[i] += times
        }
    }

    /// Adds another histogram's values. One of a different precision is added at the
    /// coarser of the two (this one becomes that precision if it was finer).
    public mutating func merge(_ other: DurationHistogram) {
        guard !other.isEmpty else { return }
        if other.precision < precision {
            self = self.coarsened(to: other.precision)
        }
        let source = other.precision > precision ? other.coarsened(to: precision) : other
        for (i, c) in source.counts.enumerated() where c != 0 { add(bucket: source.offset + i, times: c) }
        count &+= source.count
        sum &+= source.sum
        if source.max > max { max = source.max }
    }

    /// The same values at a lower precision.
    public func coarsened(to newPrecision: Int) -> DurationHistogram {
        precondition(newPrecision <= precision)
        guard newPrecision < precision else { return self }
        var out = DurationHistogram(precision: newPrecision)
        for (i, c) in counts.enumerated() where c != 0 {
            let lower = Self.bucketRange(offset + i, precision: precision).lower
            out.add(bucket: Self.bucketIndex(of: lower, precision: newPrecision), times: c)
        }
        out.count = count
        out.sum = sum
        out.max = max
        return out
    }

    /// The values recorded since `earlier` (an older reading of this same histogram): the
    /// counts and sum are exact; the maximum is the top of the highest bucket that grew
    /// (capped by this one's maximum). Nil when `earlier` is not an older reading.
    public func subtracting(_ earlier: DurationHistogram) -> DurationHistogram? {
        guard earlier.precision == precision, earlier.count <= count else { return nil }
        var out = DurationHistogram(precision: precision)
        var last = -1
        var full = [UInt64](repeating: 0, count: counts.count)
        for (i, c) in counts.enumerated() {
            let index = offset + i
            let before = earlier.countInBucket(index)
            guard before <= c else { return nil }
            full[i] = c - before
            if c > before { last = index }
        }
        // Buckets `earlier` had and this one has not: not an older reading.
        for (i, c) in earlier.counts.enumerated() where c != 0 {
            let index = earlier.offset + i
            if index < offset || index >= offset + counts.count { return nil }
        }
        guard last >= 0 else { return out }
        out = DurationHistogram(precision: precision, bucketCounts: repeatElement(0, count: offset) + full,
                                sum: sum &- earlier.sum, max: 0)
        out.max = Swift.min(max, Self.bucketRange(last, precision: precision).upper - 1)
        return out
    }

    /// The count of bucket `index`.
    public func countInBucket(_ index: Int) -> UInt64 {
        let i = index - offset
        return i >= 0 && i < counts.count ? counts[i] : 0
    }

    /// The non-empty buckets, lowest first.
    public var buckets: [(lower: Nanos, upper: Nanos, count: UInt64)] {
        counts.enumerated().compactMap { i, c in
            guard c != 0 else { return nil }
            let r = Self.bucketRange(offset + i, precision: precision)
            return (r.lower, r.upper, c)
        }
    }

    /// How many values are at most `bound`, counting only buckets that lie wholly at or below
    /// it (what a Prometheus `le` bucket needs; exact when `bound` is a bucket's top).
    public func cumulativeCount(atOrBelow bound: Nanos) -> UInt64 {
        var total: UInt64 = 0
        for (i, c) in counts.enumerated() {
            let r = Self.bucketRange(offset + i, precision: precision)
            if r.upper - 1 > bound { break }
            total &+= c
        }
        return total
    }

    /// The value below which a share `q` (0...1) of the values lie, interpolated within its
    /// bucket; never above ``max``; 0 when empty.
    public func percentile(_ q: Double) -> Nanos {
        guard count > 0 else { return 0 }
        let q = Swift.min(Swift.max(q, 0), 1)
        let rank = q * Double(count)
        var seen: UInt64 = 0
        for (i, c) in counts.enumerated() where c != 0 {
            if Double(seen + c) >= rank {
                let r = Self.bucketRange(offset + i, precision: precision)
                let within = (rank - Double(seen)) / Double(c)
                let width = Double(r.upper - r.lower)
                let value = Double(r.lower) + within * width
                let capped = Swift.min(value, Double(max))
                return capped >= Double(UInt64.max) ? .max : Nanos(capped.rounded(.down))
            }
            seen += c
        }
        return max
    }

    public var p50: Nanos { percentile(0.5) }
    public var p90: Nanos { percentile(0.9) }
    public var p99: Nanos { percentile(0.99) }
    /// The mean, 0 when empty.
    public var mean: Nanos { count == 0 ? 0 : sum / count }
}

// Compact on the wire: {"p":4,"o":12,"c":[3,-2,7],"n":10,"s":1234,"m":200}, where a
// negative entry -k stands for k empty buckets.
extension DurationHistogram: Codable {
    private enum CodingKeys: String, CodingKey { case p, o, c, n, s, m }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let precision = try c.decode(Int.self, forKey: .p)
        guard Self.precisions.contains(precision) else {
            throw DecodingError.dataCorruptedError(forKey: .p, in: c, debugDescription: "histogram precision \(precision) is not in 0...4")
        }
        let offset = try c.decode(Int.self, forKey: .o)
        let encoded = try c.decode([Int64].self, forKey: .c)
        let n = try c.decode(UInt64.self, forKey: .n)
        let buckets = Self.bucketCount(precision: precision)
        guard offset >= 0, offset <= buckets else {
            throw DecodingError.dataCorruptedError(forKey: .o, in: c, debugDescription: "histogram offset \(offset) exceeds \(buckets)")
        }
        var counts: [UInt64] = []
        for x in encoded {
            let adding = x < 0 ? Int(clamping: x.magnitude) : 1
            guard adding <= buckets - offset - counts.count else {
                throw DecodingError.dataCorruptedError(forKey: .c, in: c, debugDescription: "histogram buckets exceed \(buckets)")
            }
            if x < 0 { counts += repeatElement(0, count: adding) } else { counts.append(UInt64(x)) }
        }
        var total: UInt64 = 0
        for x in counts {
            let (t, o) = total.addingReportingOverflow(x)
            guard !o else { throw DecodingError.dataCorruptedError(forKey: .c, in: c, debugDescription: "histogram counts overflow") }
            total = t
        }
        guard total == n else {
            throw DecodingError.dataCorruptedError(forKey: .n, in: c, debugDescription: "histogram count \(n) is not the sum of its buckets, \(total)")
        }
        let sum = try c.decode(Nanos.self, forKey: .s), max = try c.decode(Nanos.self, forKey: .m)
        self = counts.withUnsafeBufferPointer {
            DurationHistogram(precision: precision, offset: offset, counts: $0, sum: sum, max: max)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(precision, forKey: .p)
        try c.encode(offset, forKey: .o)
        var encoded: [Int64] = []
        var zeros: Int64 = 0
        for x in counts {
            if x == 0 { zeros += 1; continue }
            if zeros > 0 { encoded.append(zeros == 1 ? 0 : -zeros); zeros = 0 }
            encoded.append(Int64(clamping: x))
        }
        try c.encode(encoded, forKey: .c)
        try c.encode(count, forKey: .n)
        try c.encode(sum, forKey: .s)
        try c.encode(max, forKey: .m)
    }
}

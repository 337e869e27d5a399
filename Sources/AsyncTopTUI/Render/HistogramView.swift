import AsyncTopModel

/// A duration histogram as text: a summary (count and percentiles) and a horizontal bar per
/// non-empty bucket, labelled with the bucket's top ("≤ 1.0ms").
struct HistogramView {
    let name: String
    let histogram: DurationHistogram
    let context: RenderContext

    /// "Step time  n 1.2k  p50 12.0µs  p90 40.1µs  p99 1.2ms  max 3.4ms" on one line when
    /// it fits in `width`, else the name and count, then the percentiles.
    func summary(width: Int) -> [[Span]] {
        let theme = context.theme, h = histogram
        let head = [Span(name, theme.label), Span("  n ", theme.dim), Span(formatCount(Double(h.count)), theme.value)]
        var numbers: [Span] = []
        for (label, value) in [("p50", h.p50), ("p90", h.p90), ("p99", h.p99), ("max", h.max)] {
            numbers += [Span(numbers.isEmpty ? "\(label) " : "  \(label) ", theme.dim), Span(formatDuration(value), theme.value)]
        }
        func length(_ spans: [Span]) -> Int { spans.reduce(0) { $0 + $1.text.count } }
        if length(head) + 2 + length(numbers) <= width { return [head + [Span("  ")] + numbers] }
        return [head, [Span("  ")] + numbers]
    }

    /// The buckets shown when at most `rows` lines are free: the histogram's own, or
    /// coarser ones (powers of two, then runs of those) when there are too many.
    static func rows(of histogram: DurationHistogram, atMost rows: Int) -> [(upper: Nanos, count: UInt64)] {
        guard rows > 0 else { return [] }
        var h = histogram
        while h.buckets.count > rows && h.precision > 0 { h = h.coarsened(to: h.precision - 1) }
        let buckets = h.buckets
        let per = (buckets.count + rows - 1) / rows
        return stride(from: 0, to: buckets.count, by: max(1, per)).map { start in
            let run = buckets[start..<min(buckets.count, start + per)]
            return (run.last!.upper, run.reduce(0) { $0 + $1.count })
        }
    }

    /// A bar per non-empty bucket, at most `rows` of them, `width` columns wide in all.
    func bars(width: Int, rows: Int) -> [[Span]] {
        let theme = context.theme, unicode = context.state.display.unicode
        let buckets = Self.rows(of: histogram, atMost: rows)
        let most = buckets.map(\.count).max() ?? 0
        let labelWidth = 11, countWidth = 7
        let barWidth = min(40, width - labelWidth - countWidth - 1)
        guard most > 0, barWidth >= 4 else { return [] }
        let atMost = unicode ? "≤ " : "<="
        return buckets.map { bucket in
            // The top of a bucket is exclusive: its largest value is one below.
            let label = "  " + atMost + formatDuration(bucket.upper == .max ? .max : bucket.upper - 1)
            let eighths = max(1, Int((Double(bucket.count) / Double(most) * Double(barWidth * 8)).rounded()))
            let bar = Self.bar(eighths: eighths, unicode: unicode)
            return [Span(label.padded(to: labelWidth, ellipsis: context.glyphs.ellipsis), theme.dim),
                    Span(bar, theme.chart),
                    Span(String(repeating: " ", count: barWidth - bar.count + 1)),
                    Span(formatCount(Double(bucket.count)).padded(to: countWidth - 1, ellipsis: context.glyphs.ellipsis, alignRight: true))]
        }
    }

    /// A bar of `eighths` eighths of a cell: full blocks and a partial one, or `#` in ASCII
    /// (rounded, at least one).
    static func bar(eighths: Int, unicode: Bool) -> String {
        guard unicode else { return String(repeating: "#", count: max(1, (eighths + 4) / 8)) }
        let partial: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        var bar = String(repeating: "█", count: eighths / 8)
        if eighths % 8 > 0 { bar.append(partial[eighths % 8 - 1]) }
        return bar
    }
}

import AsyncTopModel

/// The loop over time (`L`): a chart per measure of its one-second series (live tasks,
/// spawns and steps a second, busy share, timer lag, ready queue) and of the lint count the
/// dashboard kept, newest at the right; and its step-time, latency and lag histograms.
///
/// Wide screens put the histograms beside the charts, others under them. A short screen
/// shows fewer charts, then only a line saying it is too small. A loop without a series (an
/// older peer or recording, an uninstrumented loop) gets the lint chart and says why.
struct LoopView {
    let context: RenderContext

    /// The widest window a chart shows, in seconds: the series' length.
    static let maxSeconds = LoopSeries.capacity
    /// The tallest chart, in rows.
    static let maxChartRows = 8
    /// The narrowest chart drawn, in cells.
    static let minChartCols = 20
    static let tooSmall = "Too small for the loop's charts: enlarge the terminal."

    /// One chart: its title, the value now with its unit, and its points.
    struct Series {
        let title: String
        let points: [(second: UInt64, value: Double)]
        let format: (Double) -> String
        /// The value the top row stands for; nil: the most in the window.
        let top: Double?
        /// Said after the value now ("(1 pending · 2 running · 9 suspended)").
        var detail: String = ""
    }

    func draw(into screen: inout Screen) {
        let body = context.layout.bodyRows
        draw(into: &screen, top: body.lowerBound, left: 1, rows: body.count, cols: context.cols - 2)
    }

    /// Draws the view in the rectangle of `rows` × `cols` from (`top`, `left`).
    func draw(into screen: inout Screen, top: Int, left: Int, rows: Int, cols: Int) {
        guard rows > 0, cols > 0 else { return }
        let theme = context.theme, stats = context.snapshot.stats
        let histograms = [("Step times", stats.stepHistogram), ("Latencies", stats.latencyHistogram), ("Timer lag", stats.lagHistogram)]
            .compactMap { name, h in h.flatMap { $0.isEmpty ? nil : HistogramView(name: name, histogram: $0, context: context) } }
        let charts = self.charts()
        let hasSeries = !(stats.series?.isEmpty ?? true)

        // Histograms beside the charts when both have room, else under them.
        let sideWidth = min(64, max(44, cols / 4))
        let beside = !histograms.isEmpty && cols - sideWidth - 2 >= 80
        let chartCols = beside ? cols - sideWidth - 2 : cols
        var row = top
        let end = top + rows
        func put(_ spans: [Span], width: Int = cols, col: Int = left) {
            guard row < end else { return }
            screen.put(spans, at: (row, col), maxCol: col + width)
            row += 1
        }
        guard chartCols >= Self.minChartCols, rows >= 3 else {
            put([Span(Self.tooSmall.truncated(to: cols, ellipsis: context.glyphs.ellipsis), theme.warning)])
            return
        }
        if !hasSeries {
            put([Span("No one-second series from this loop (an older program or recording, or an uninstrumented loop):"
                      + " only the lints the dashboard counted.", theme.dim)])
        }
        // Under the charts: a summary line per histogram, then bars with what is left.
        let summaryRows = beside ? 0 : histograms.reduce(0) { $0 + $1.summary(width: cols).count }
        let chartSpace = end - row - (summaryRows > 0 && end - row - summaryRows >= 2 ? summaryRows : 0)
        let shown = min(charts.count, chartSpace / 2)
        guard shown > 0 else {
            put([Span(Self.tooSmall.truncated(to: cols, ellipsis: context.glyphs.ellipsis), theme.warning)])
            return
        }
        let height = min(Self.maxChartRows, chartSpace / shown - 1)
        let braille = context.state.display.unicode
        let plotCols = min(chartCols, Self.maxSeconds / Chart.secondsPerCell(braille: braille))
        let seconds = plotCols * Chart.secondsPerCell(braille: braille)
        let now = (stats.series?.last?.at ?? context.snapshot.takenAt) / 1_000_000_000
        let chartsTop = row
        for (index, series) in charts.prefix(shown).enumerated() {
            let values = Chart.window(series.points, endingAt: now, seconds: seconds)
            let most = values.compactMap { $0 }.max() ?? 0
            let current = series.points.last.map { series.format($0.value) } ?? "-"
            var title = [Span(series.title + " ", theme.label), Span(current, theme.value)]
            if !series.detail.isEmpty { title.append(Span(" " + series.detail, theme.dim)) }
            title.append(Span("  max \(series.format(most))", theme.dim))
            if index == 0 && shown < charts.count { title.append(Span("  (\(shown) of \(charts.count) charts: enlarge for more)", theme.dim)) }
            let axis = "-\(seconds)s \(braille ? "…" : "..") now"
            let titleLength = title.reduce(0) { $0 + $1.text.count }
            screen.put(title, at: (row, left), maxCol: left + chartCols)
            if titleLength + 2 + axis.count <= plotCols { screen.put(axis, at: (row, left + plotCols - axis.count), style: theme.dim) }
            row += 1
            let chart = Chart(values: values, top: series.top ?? most, rows: height, braille: braille)
            for line in chart.lines() {
                screen.put(line, at: (row, left), style: theme.chart)
                row += 1
            }
        }
        guard !histograms.isEmpty else { return }
        if beside {
            drawHistograms(histograms, into: &screen, top: chartsTop, left: left + chartCols + 2, rows: end - chartsTop,
                           cols: sideWidth)
        } else if row < end {
            drawHistograms(histograms, into: &screen, top: row, left: left, rows: end - row, cols: cols)
        }
    }

    /// The histograms' summaries, each followed by its bars as room allows (shared equally).
    private func drawHistograms(_ histograms: [HistogramView], into screen: inout Screen, top: Int, left: Int, rows: Int,
                                cols: Int) {
        let summaries = histograms.map { $0.summary(width: cols) }
        let spare = rows - summaries.reduce(0) { $0 + $1.count }
        // Bars on two rows or fewer say little more than the summary: none then.
        let share = spare / histograms.count - 1
        let barRows = share >= 3 ? share : 0
        var row = top
        let end = top + rows
        for (histogram, summary) in zip(histograms, summaries) {
            for line in summary + histogram.bars(width: min(cols, 60), rows: barRows) where row < end {
                screen.put(line, at: (row, left), maxCol: left + cols)
                row += 1
            }
            if barRows > 0 { row += 1 }
        }
    }

    /// The charts in the order shown (the first ones stay on a short screen): the series'
    /// measures, then the lint count; only the lint count without a series.
    func charts() -> [Series] {
        let samples = context.snapshot.stats.series?.samples ?? []
        func points(_ value: (LoopSample) -> Double) -> [(second: UInt64, value: Double)] {
            samples.map { ($0.at / 1_000_000_000, value($0)) }
        }
        func count(_ v: Double) -> String { formatCount(v) }
        var lintHistory = context.state.lintHistory.entries.map { ($0.second, Double($0.count)) }
        // Before the first refresh: the count of the snapshot shown.
        if lintHistory.isEmpty { lintHistory = [(context.snapshot.takenAt / 1_000_000_000, Double(context.lints.count))] }
        let lints = Series(title: "Lints", points: lintHistory, format: count, top: nil)
        guard let last = samples.last else { return [lints] }
        let live = Series(title: "Tasks live", points: points { Double($0.live) }, format: count, top: nil,
                          detail: "(\(last.count(.pending)) pending · \(last.count(.running)) running · "
                              + "\(last.count(.suspended)) suspended)")
        return [
            live,
            Series(title: "Spawned/s", points: points { Double($0.spawned) }, format: count, top: nil),
            Series(title: "Steps/s", points: points { Double($0.steps) }, format: count, top: nil),
            Series(title: "Busy", points: points(\.busy), format: formatPercent, top: 1),
            Series(title: "Lag p99", points: points { Double($0.lagP99) }, format: { formatDuration(Nanos(max(0, $0))) }, top: nil),
            Series(title: "Ready queue", points: points { Double($0.readyQueueDepth) }, format: count, top: nil),
            lints,
        ]
    }
}

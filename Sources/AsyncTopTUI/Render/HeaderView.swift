import AsyncTopModel

/// The top four lines: the loop, counts by state, throughput and lag, and the view settings.
struct HeaderView {
    let context: RenderContext

    func draw(into screen: inout Screen) {
        let snapshot = context.snapshot, stats = snapshot.stats, theme = context.theme
        screen.paint(row: 0, style: theme.titleBar)
        // A picture of several loops (one socket serving them) names them all.
        let loops = snapshot.executors.lazy.filter { $0.kind == .loop }.count
        var title = " asynctop · \(loops > 1 ? "\(loops) loops" : "loop") \(snapshot.loopName) · \(stats.phase)"
        if stats.debug { title += " · debug" }
        if !stats.instrumented { title += " · not instrumented" }
        // The clock and the pause badge keep the right end; the title is cut before them.
        let clock = "t=\(formatSeconds(snapshot.takenAt)) "
        let paused = context.state.isPaused ? " PAUSED " : ""
        let right = context.cols - clock.count - (paused.isEmpty ? 0 : paused.count + 1)
        screen.put(title.truncated(to: right - 1, ellipsis: context.glyphs.ellipsis), at: (0, 0), style: theme.titleBar)
        screen.put(clock, at: (0, context.cols - clock.count), style: theme.titleBar)
        if !paused.isEmpty { screen.put(paused, at: (0, right), style: theme.paused) }

        var counts = [Span("Tasks ", theme.label)]
        for kind in TaskStateKind.allCases {
            counts.append(Span("\(stats.count(kind)) \(kind.rawValue)", theme.state(kind)))
            counts.append(Span("  "))
        }
        counts.append(Span("spawned \(stats.totalSpawned)"))
        screen.put(counts, at: (1, 1))

        let lag = formatDuration(stats.lagLast) + " (max " + formatDuration(stats.lagMax) + ")"
        func rates(_ busyTrend: Span, _ lagTrend: Span) -> [Span] {
            [
                Span("Steps/s ", theme.label), Span(formatCount(stats.stepsPerSecond), theme.value),
                Span("  Busy ", theme.label), Span(formatPercent(stats.busyFraction), theme.value), busyTrend,
                Span("  Lag ", theme.label), Span(lag, theme.value), lagTrend,
                Span("  Ready ", theme.label), Span("\(stats.readyQueueDepth)", theme.value),
                Span("  Timers ", theme.label), Span("\(stats.pendingTimers)", theme.value),
                Span("  Dropped ", theme.label),
                Span("\(stats.droppedFinished)", stats.droppedFinished > 0 ? theme.warning : theme.value),
            ]
        }
        // The sparklines only in the room the numbers leave: they go first on a narrow screen.
        let bare = rates(Span(""), Span("")).reduce(0) { $0 + $1.text.count }
        let (busyTrend, lagTrend) = trends(width: context.cols - 2 - bare)
        screen.put(rates(busyTrend, lagTrend), at: (2, 1))

        let state = context.state
        let arrow = state.sort.ascending ? context.glyphs.ascending : context.glyphs.descending
        var settings = [
            Span("View ", theme.label), Span(state.layout.rawValue, theme.value),
            Span("  Filter ", theme.label), Span(state.filter.rawValue, theme.value),
            Span("  Sort ", theme.label), Span("\(state.sort.column.rawValue)\(arrow)", theme.value),
        ]
        if let severity = context.lints.severity {
            let count = context.lints.count
            settings += [Span("  "), Span(" \(count) \(count == 1 ? "lint" : "lints") ", theme.lintBadge(severity))]
        }
        if let status = state.status { settings.append(Span("  \(status)", theme.warning)) }
        // What the loop could not observe, said as long as it lasts.
        if let warning = stats.instrumentationWarning { settings.append(Span("  \(warning)", theme.warning)) }
        screen.put(settings, at: (3, 1))
    }

    /// The longest a sparkline gets: the last this many seconds.
    static let trendSeconds = 24
    /// The least lag the lag sparkline's top stands for: steady lag below a millisecond is
    /// noise, not a full bar.
    static let lagTrendFloor: Nanos = 1_000_000
    /// The shortest worth drawing.
    static let minimumTrendSeconds = 8

    /// Sparklines of the busy share and the timer lag over the series' last seconds, for a
    /// line with `room` columns to spare (each takes a space and a cell a second): shorter
    /// when room is short, empty without room or without a series.
    func trends(width room: Int) -> (busy: Span, lag: Span) {
        let none = (Span(""), Span(""))
        guard let series = context.snapshot.stats.series, let last = series.last else { return none }
        let seconds = min(Self.trendSeconds, room / 2 - 1)
        guard seconds >= Self.minimumTrendSeconds else { return none }
        let now = last.at / 1_000_000_000
        let busy = Chart.window(series.samples.map { ($0.at / 1_000_000_000, $0.busy) }, endingAt: now, seconds: seconds)
        let lag = Chart.window(series.samples.map { ($0.at / 1_000_000_000, Double($0.lagP99)) }, endingAt: now, seconds: seconds)
        let unicode = context.state.display.unicode, style = context.theme.chart
        return (Span(" " + Sparkline.line(busy, top: 1, unicode: unicode), style),
                Span(" " + Sparkline.line(lag, top: max(Double(Self.lagTrendFloor), lag.compactMap { $0 }.max() ?? 0),
                                          unicode: unicode), style))
    }
}

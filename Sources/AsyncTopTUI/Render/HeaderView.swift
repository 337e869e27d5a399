import AsyncTopModel

/// The top four lines: the loop, counts by state, throughput and lag, and the view settings.
struct HeaderView {
    let context: RenderContext

    func draw(into screen: inout Screen) {
        let snapshot = context.snapshot, stats = snapshot.stats, theme = context.theme
        screen.paint(row: 0, style: theme.titleBar)
        var title = " asynctop · loop \(snapshot.loopName) · \(stats.phase)"
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
        screen.put([
            Span("Steps/s ", theme.label), Span(formatCount(stats.stepsPerSecond), theme.value),
            Span("  Busy ", theme.label), Span(formatPercent(stats.busyFraction), theme.value),
            Span("  Lag ", theme.label), Span(lag, theme.value),
            Span("  Ready ", theme.label), Span("\(stats.readyQueueDepth)", theme.value),
            Span("  Timers ", theme.label), Span("\(stats.pendingTimers)", theme.value),
            Span("  Dropped ", theme.label),
            Span("\(stats.droppedFinished)", stats.droppedFinished > 0 ? theme.warning : theme.value),
        ], at: (2, 1))

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
}

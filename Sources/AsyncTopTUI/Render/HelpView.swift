import AsyncTopModel

/// The key table, generated from ``KeyBindings/table``, and the legend of state glyphs.
struct HelpView {
    let context: RenderContext

    func draw(into screen: inout Screen) {
        let theme = context.theme, glyphs = context.glyphs
        var lines: [[Span]] = [[Span("Keys", theme.label)]]
        for (keys, summary) in KeyBindings.helpLines(leavingOut: context.state.unavailable) {
            lines.append([Span("  " + keys.padded(to: 18, ellipsis: glyphs.ellipsis), theme.value), Span(summary)])
        }
        var legend = [Span("States ", theme.label)]
        for kind in TaskStateKind.allCases {
            legend.append(Span("\(glyphs.state(kind)) \(kind.rawValue)  ", theme.state(kind)))
        }
        // No blank line before the legends: with them, the help fits 30 rows.
        lines.append(legend)
        lines.append([Span("Marks  ", theme.label), Span("\(glyphs.cancelRequested) cancel requested  ", theme.warning),
                      Span("\(glyphs.lint) named by a lint (l)", theme.lint(.warning))])
        // Why the hidden commands are hidden ("a replay cannot cancel tasks").
        for why in Set(context.state.unavailable.values).sorted() { lines.append([Span("Not here  ", theme.label), Span(why, theme.dim)]) }
        let body = context.layout.bodyRows
        for (offset, line) in lines.prefix(body.count).enumerated() {
            screen.put(line, at: (body.lowerBound + offset, 1), maxCol: context.cols - 1)
        }
    }
}

/// A box over the task list: the demos, one highlighted, and what the highlighted one
/// teaches; Enter launches it.
struct DemoLauncherView {
    let context: RenderContext

    func draw(into screen: inout Screen) {
        let demos = context.state.demos, theme = context.theme
        let width = min(context.cols - 4, 80)
        let inner = width - 4
        let selected = demos.indices.contains(context.state.demoSelection) ? demos[context.state.demoSelection] : nil
        let about = selected?.about.wrapped(to: inner) ?? []
        // The list first; the explanation takes the rows left, after a blank one.
        let wanted = max(demos.count, 1) + 4 + (about.isEmpty ? 0 : about.count + 1)
        let height = min(context.layout.bodyRows.count, wanted)
        let listRows = min(max(demos.count, 1), max(1, height - 4 - (about.isEmpty ? 0 : min(about.count, 3) + 1)))
        let aboutRows = about.isEmpty ? 0 : max(0, height - 5 - listRows)
        let top = context.layout.bodyRows.lowerBound, left = (context.cols - width) / 2
        screen.box(top: top, left: left, height: height, width: width, title: "Demos",
                   glyphs: context.glyphs, style: theme.border)
        guard !demos.isEmpty else {
            screen.put("No demos available.", at: (top + 1, left + 2), style: theme.dim)
            return
        }
        let nameWidth = min(26, demos.map(\.name.count).max() ?? 0)
        let first = max(0, context.state.demoSelection - listRows + 1)
        for (offset, demo) in demos.dropFirst(first).prefix(listRows).enumerated() {
            let row = top + 1 + offset
            let text = demo.name.padded(to: nameWidth, ellipsis: context.glyphs.ellipsis) + "  " + demo.summary
            screen.put(text.truncated(to: inner, ellipsis: context.glyphs.ellipsis), at: (row, left + 2))
            if first + offset == context.state.demoSelection {
                screen.paint(row: row, col: left + 1, width: width - 2, style: theme.selection)
            }
        }
        for (offset, line) in about.prefix(aboutRows).enumerated() {
            let cut = offset == aboutRows - 1 && about.count > aboutRows
            screen.put(cut ? String(line.prefix(inner - 1)) + String(context.glyphs.ellipsis) : line,
                       at: (top + 2 + listRows + offset, left + 2), style: theme.dim)
        }
        screen.put("Enter launch  Esc back", at: (top + height - 2, left + 2), style: theme.dim)
    }
}

/// A box over the task list: the demos, one highlighted; Enter launches it.
struct DemoLauncherView {
    let context: RenderContext

    func draw(into screen: inout Screen) {
        let demos = context.state.demos, theme = context.theme
        let width = min(context.cols - 4, 80)
        let height = min(context.layout.bodyRows.count, max(demos.count, 1) + 4)
        let top = context.layout.bodyRows.lowerBound, left = (context.cols - width) / 2
        screen.box(top: top, left: left, height: height, width: width, title: "Demos",
                   glyphs: context.glyphs, style: theme.border)
        let inner = width - 4
        guard !demos.isEmpty else {
            screen.put("No demos available.", at: (top + 1, left + 2), style: theme.dim)
            return
        }
        let nameWidth = min(20, demos.map(\.name.count).max() ?? 0)
        let visible = height - 4
        let first = max(0, context.state.demoSelection - visible + 1)
        for (offset, demo) in demos.dropFirst(first).prefix(visible).enumerated() {
            let row = top + 1 + offset
            let text = demo.name.padded(to: nameWidth, ellipsis: context.glyphs.ellipsis) + "  " + demo.summary
            screen.put(text.truncated(to: inner, ellipsis: context.glyphs.ellipsis), at: (row, left + 2))
            if first + offset == context.state.demoSelection {
                screen.paint(row: row, col: left + 1, width: width - 2, style: theme.selection)
            }
        }
        screen.put("Enter launch  Esc back", at: (top + height - 2, left + 2), style: theme.dim)
    }
}

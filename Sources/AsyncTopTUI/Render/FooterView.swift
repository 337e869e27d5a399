/// The bottom line: htop-style key hints, or the search being typed.
struct FooterView {
    let context: RenderContext

    func draw(into screen: inout Screen) {
        let row = context.layout.footerRow, theme = context.theme
        if case .search(let query, _) = context.state.prompt {
            screen.put([Span("Search: ", theme.label), Span(query + "_", theme.input),
                        Span("   Enter done  Esc cancel", theme.dim)], at: (row, 0))
            return
        }
        var col = 0
        for (key, label) in hints where col < context.cols {
            col = screen.put(key, at: (row, col), style: theme.footerKey)
            col = screen.put(label.padded(to: 7, ellipsis: context.glyphs.ellipsis), at: (row, col),
                             style: theme.footerLabel)
        }
    }

    private var hints: [(key: String, label: String)] {
        switch context.state.pane {
        case .tasks:
            [("F1", "Help"), ("F2", "Demos"), ("F5", "Tree"), ("F6", "Sort"), ("F9", "Cancel"),
             ("F10", "Quit"), ("/", "Search"), ("f", "Filter"), ("Spc", "Pause"), ("x", "Exec")]
        case .details:
            [("Esc", "Back"), ("j/k", "Scroll"), ("F9", "Cancel"), ("F10", "Quit")]
        case .demos:
            [("Enter", "Launch"), ("Esc", "Back"), ("F10", "Quit")]
        case .lints where !context.lints.isEmpty:
            [("Enter", "Go to"), ("Esc", "Back"), ("j/k", "Select"), ("F9", "Cancel"), ("F10", "Quit")]
        case .lints, .executors, .help:
            [("Esc", "Back"), ("F10", "Quit")]
        }
    }
}

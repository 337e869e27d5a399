/// The bottom line: htop-style key hints, or the search being typed.
struct FooterView {
    let context: RenderContext

    func draw(into screen: inout Screen) {
        let row = context.layout.footerRow, theme = context.theme
        if case .search(let query, _) = context.state.prompt {
            var spans = [Span("Search: ", theme.label), Span(query + "_", theme.input)]
            if let status = context.state.status { spans.append(Span("  " + status, theme.warning)) }
            spans.append(Span("   Enter done  Esc cancel", theme.dim))
            screen.put(spans, at: (row, 0))
            return
        }
        var col = 0
        let unavailable = context.state.unavailable
        for (n, (key, label)) in hints.enumerated() where unavailable[KeyBindings.table[hintKey(key)] ?? .quit] == nil {
            // A hint that would be cut short at the edge is left out, except the first.
            guard col < context.cols, n == 0 || col + key.count + label.count <= context.cols else { break }
            col = screen.put(key, at: (row, col), style: theme.footerKey)
            col = screen.put(label.padded(to: 7, ellipsis: context.glyphs.ellipsis), at: (row, col),
                             style: theme.footerLabel)
        }
    }

    /// The key a hint names ("F9" is F9, "/" is /, "Spc" is Space).
    private func hintKey(_ name: String) -> Key {
        if name.hasPrefix("F"), let n = Int(name.dropFirst()) { return .function(n) }
        switch name {
        case "Enter": return .enter
        case "Esc": return .escape
        case "Spc": return .character(" ")
        default: return .character(name.first ?? " ")
        }
    }

    private var hints: [(key: String, label: String)] {
        switch context.state.pane {
        case .tasks:
            [("F1", "Help"), ("F2", "Demos"), ("F5", "Tree"), ("F6", "Sort"), ("F9", "Cancel"),
             ("F10", "Quit"), ("/", "Search"), ("f", "Filter"), ("Spc", "Pause"), ("x", "Exec"), ("L", "Loop"), ("r", "Res")]
        case .details:
            [("Esc", "Back"), ("j/k", "Scroll"), ("a", "Frames"), ("F9", "Cancel"), ("F10", "Quit")]
        case .demos:
            [("Enter", "Launch"), ("Esc", "Back"), ("F10", "Quit")]
        case .lints where !context.lints.isEmpty:
            [("Enter", "Go to"), ("Esc", "Back"), ("j/k", "Select"), ("F9", "Cancel"), ("F10", "Quit")]
        case .loop:
            [("Esc", "Back"), ("L", "Back"), ("F10", "Quit")]
        case .resources where !context.snapshot.resources.isEmpty:
            [("Enter", "Go to"), ("Esc", "Back"), ("j/k", "Select"), ("r", "Back"), ("F10", "Quit")]
        case .resources:
            [("Esc", "Back"), ("r", "Back"), ("F10", "Quit")]
        case .lints, .executors, .help:
            [("Esc", "Back"), ("F10", "Quit")]
        }
    }
}

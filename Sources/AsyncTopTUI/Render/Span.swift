/// A run of text in one style: the unit of the multi-style lines views build.
struct Span {
    let text: String
    let style: Style

    init(_ text: String, _ style: Style = .plain) {
        self.text = text
        self.style = style
    }
}

extension Screen {
    /// Writes spans one after another from a position, cut at `maxCol`.
    /// - Returns: The column after the last span.
    @discardableResult
    mutating func put(_ spans: [Span], at position: (row: Int, col: Int), maxCol: Int? = nil) -> Int {
        var col = position.col
        let limit = maxCol ?? cols
        for span in spans where col < limit {
            let room = limit - col
            col = put(String(span.text.prefix(room)), at: (position.row, col), style: span.style)
        }
        return col
    }

    /// Draws a box with a title in its top border and clears its inside.
    mutating func box(top: Int, left: Int, height: Int, width: Int, title: String, glyphs: Glyphs, style: Style) {
        // Too small for two borders: nothing to draw (and no empty range to walk).
        guard height >= 2, width >= 2 else { return }
        let (h, v, corners) = glyphs.box
        let inner = max(0, width - 2)
        put(String(corners[0]) + String(repeating: h, count: inner) + String(corners[1]), at: (top, left), style: style)
        for row in (top + 1)..<(top + height - 1) {
            put(String(v) + String(repeating: " ", count: inner) + String(v), at: (row, left), style: style)
        }
        put(String(corners[2]) + String(repeating: h, count: inner) + String(corners[3]),
            at: (top + height - 1, left), style: style)
        put(" \(title) ".truncated(to: inner, ellipsis: glyphs.ellipsis), at: (top, left + 2), style: style.adding(.bold))
    }
}

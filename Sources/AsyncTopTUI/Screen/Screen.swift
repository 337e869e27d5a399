/// A grid of styled cells: what the dashboard draws, and what tests read back.
///
/// Writes are clipped to the grid. Every cell holds one glyph one column wide; wider or
/// control characters are replaced (see `DisplayWidth`).
public struct Screen: Hashable, Sendable {
    public let rows: Int
    public let cols: Int
    private var cells: [Cell]

    /// A blank screen of `rows` × `cols` cells.
    public init(rows: Int, cols: Int) {
        self.rows = max(0, rows)
        self.cols = max(0, cols)
        cells = Array(repeating: .blank, count: self.rows * self.cols)
    }

    /// The cell at a position; reading outside the grid gives a blank cell.
    public subscript(row: Int, col: Int) -> Cell {
        contains(row: row, col: col) ? cells[row * cols + col] : .blank
    }

    /// Writes `text` from a position to the right, one cell per character.
    ///
    /// - Parameters:
    ///   - text: The characters to write; what falls outside the grid is dropped.
    ///   - position: Row and column of the first character.
    ///   - style: The style of every written cell.
    /// - Returns: The column after the last character written (or that would have been).
    @discardableResult
    public mutating func put(_ text: String, at position: (row: Int, col: Int), style: Style = .plain) -> Int {
        var col = position.col
        guard position.row >= 0, position.row < rows else { return col + text.count }
        for character in text {
            if col >= cols { return col + 1 }
            if col >= 0 { cells[position.row * cols + col] = Cell(glyph: DisplayWidth.narrow(character), style: style) }
            col += 1
        }
        return col
    }

    /// Gives `width` cells of a row a style, keeping their glyphs (a selection bar, a title bar).
    public mutating func paint(row: Int, col: Int = 0, width: Int? = nil, style: Style) {
        guard row >= 0, row < rows else { return }
        let end = min(cols, col + (width ?? cols))
        for c in max(0, col)..<max(max(0, col), end) { cells[row * cols + c].style = style }
    }

    /// Replaces every glyph outside ASCII, for a terminal that cannot show others (`--ascii`,
    /// a locale that is not UTF-8): a look-alike where one exists ("µs" becomes "us", "·"
    /// becomes "."), else ``DisplayWidth/replacement``. One cell stays one cell.
    public mutating func restrictToASCII() {
        for index in cells.indices where !cells[index].glyph.isASCII {
            cells[index].glyph = Self.asciiLookAlikes[cells[index].glyph] ?? DisplayWidth.replacement
        }
    }

    private static let asciiLookAlikes: [Character: Character] = [
        "µ": "u", "μ": "u", "·": ".", "×": "x", "…": "~", "—": "-", "–": "-", "»": ">", "«": "<",
        "→": ">", "←": "<", "‖": "=", "\u{A0}": " ",
    ]

    /// The text of one row, trailing spaces removed.
    public func line(_ row: Int) -> String {
        guard row >= 0, row < rows else { return "" }
        var text = String(cells[(row * cols)..<(row * cols + cols)].map(\.glyph))
        while text.last == " " { text.removeLast() }
        return text
    }

    /// The text of every row, trailing spaces removed: the form render tests compare.
    public var lines: [String] { (0..<rows).map(line) }

    /// Every row joined by newlines.
    public var text: String { lines.joined(separator: "\n") }

    private func contains(row: Int, col: Int) -> Bool {
        row >= 0 && row < rows && col >= 0 && col < cols
    }
}

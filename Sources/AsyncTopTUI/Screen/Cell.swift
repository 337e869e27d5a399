/// One character cell of a ``Screen``: a glyph one column wide and its style.
public struct Cell: Hashable, Sendable {
    public var glyph: Character
    public var style: Style

    public init(glyph: Character = " ", style: Style = .plain) {
        self.glyph = glyph
        self.style = style
    }

    /// An empty cell in the default style.
    public static let blank = Cell()
}

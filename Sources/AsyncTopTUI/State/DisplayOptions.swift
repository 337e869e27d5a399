/// How the dashboard may draw: with colours or monochrome, Unicode or ASCII glyphs.
public struct DisplayOptions: Hashable, Sendable {
    public var colors: Bool
    public var unicode: Bool

    public init(colors: Bool = true, unicode: Bool = true) {
        self.colors = colors
        self.unicode = unicode
    }
}

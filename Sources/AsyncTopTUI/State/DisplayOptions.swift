/// How the dashboard may draw: with colours or monochrome, Unicode or ASCII glyphs, and
/// stacks with the runtime's frames or without.
public struct DisplayOptions: Hashable, Sendable {
    public var colors: Bool
    public var unicode: Bool
    /// Every frame of a stack, the runtime's and thunks included (`a`); the program's own only
    /// when false.
    public var allFrames: Bool

    public init(colors: Bool = true, unicode: Bool = true, allFrames: Bool = false) {
        self.colors = colors
        self.unicode = unicode
        self.allFrames = allFrames
    }
}

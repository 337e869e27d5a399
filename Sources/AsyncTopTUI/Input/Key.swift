/// A key press, independent of the terminal library that read it.
public enum Key: Hashable, Sendable {
    case up, down, left, right
    case pageUp, pageDown, home, end
    case enter, escape, backspace, tab
    /// F1…F12.
    case function(Int)
    /// A printable character, space included.
    case character(Character)
}

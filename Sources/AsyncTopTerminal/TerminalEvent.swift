import AsyncTopTUI

/// What reading the terminal gave: a key, or a change of size.
public enum TerminalEvent: Hashable, Sendable {
    case key(Key)
    case resize
}

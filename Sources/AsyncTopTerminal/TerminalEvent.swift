import AsyncTopTUI

/// What reading the terminal gave: a key, a change of size, or the end of the terminal.
public enum TerminalEvent: Hashable, Sendable {
    case key(Key)
    case resize
    /// The terminal went away (its window closed): nothing more can be read or shown.
    case hangup
}

/// Terminal escape sequences for keys, decoded when the terminal library did not know them.
///
/// Under tmux, Home and End arrive as `ESC [1~` / `ESC [4~` or, once the keypad is in
/// application mode, `ESC OH` / `ESC OF`, whichever the terminal description lists: the
/// other form came through as Esc (back) and two letters. ``Key/init(escapeSequence:)``
/// reads what follows the ESC.
extension Key {
    /// The key of a CSI (`[`…) or SS3 (`O`…) sequence; modifiers (`[1;5H`) are ignored.
    /// - Parameter rest: the characters after ESC.
    /// - Returns: nil for a sequence of no key the dashboard knows.
    public init?(escapeSequence rest: String) {
        var scalars = Substring(rest).unicodeScalars
        guard let introducer = scalars.popFirst(), let final = scalars.popLast() else { return nil }
        switch introducer {
        case "O":
            guard scalars.isEmpty, let key = Self.byFinal[Character(final)] else { return nil }
            self = key
        case "[":
            let parameters = String(String.UnicodeScalarView(scalars))
            guard parameters.allSatisfy({ $0.isNumber || $0 == ";" }) else { return nil }
            if final == "~" {
                let first = parameters.split(separator: ";").first.flatMap { Int($0) }
                guard let first, let key = Self.byNumber[first] else { return nil }
                self = key
            } else {
                guard let key = Self.byFinal[Character(final)] else { return nil }
                self = key
            }
        default: return nil
        }
    }

    /// Whether `rest` (the characters after ESC so far) is a whole sequence: a CSI ends with
    /// a character from `@` to `~`, an SS3 with the character after `O`.
    public static func escapeSequenceIsComplete(_ rest: String) -> Bool {
        let scalars = Array(rest.unicodeScalars)
        guard let first = scalars.first else { return false }
        switch first {
        case "O": return scalars.count >= 2
        case "[": return scalars.count >= 2 && (0x40...0x7E).contains(scalars.last!.value)
        default: return true
        }
    }

    private static let byFinal: [Character: Key] = [
        "A": .up, "B": .down, "C": .right, "D": .left, "H": .home, "F": .end,
        "P": .function(1), "Q": .function(2), "R": .function(3), "S": .function(4),
    ]

    private static let byNumber: [Int: Key] = [
        1: .home, 7: .home, 4: .end, 8: .end, 5: .pageUp, 6: .pageDown, 3: .backspace,
        11: .function(1), 12: .function(2), 13: .function(3), 14: .function(4), 15: .function(5),
        17: .function(6), 18: .function(7), 19: .function(8), 20: .function(9), 21: .function(10),
        23: .function(11), 24: .function(12),
    ]
}

/// Which characters a ``Screen`` cell can hold: exactly one terminal column wide.
///
/// Control characters and East Asian wide or emoji characters would break column
/// arithmetic, so they are shown as a replacement glyph instead.
enum DisplayWidth {
    static let replacement: Character = "?"

    /// The character itself when it is one column wide, else ``replacement``.
    static func narrow(_ character: Character) -> Character {
        guard let scalar = character.unicodeScalars.first else { return replacement }
        let value = scalar.value
        if value < 0x20 || (0x7F..<0xA0).contains(value) { return replacement }
        if value < 0x1100 { return character }
        return wideRanges.contains { $0.contains(value) } ? replacement : character
    }

    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x25FD...0x25FE,
        0x2614...0x2615, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
        0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
        0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD,
    ]
}

extension String {
    /// The string cut to `width` columns, ending in `ellipsis` when something was cut.
    func truncated(to width: Int, ellipsis: Character) -> String {
        guard width > 0 else { return "" }
        guard count > width else { return self }
        return String(prefix(width - 1)) + String(ellipsis)
    }

    /// The string padded with spaces or cut to exactly `width` columns.
    func padded(to width: Int, ellipsis: Character, alignRight: Bool = false) -> String {
        let cut = truncated(to: width, ellipsis: ellipsis)
        let padding = String(repeating: " ", count: max(0, width - cut.count))
        return alignRight ? padding + cut : cut + padding
    }

    /// The text in lines of at most `width` columns (see ``wordWrap(_:width:)``), with a
    /// blank line between paragraphs ("\n\n").
    public func wrapped(to width: Int) -> [String] {
        var lines: [String] = []
        for (index, paragraph) in split(separator: "\n\n", omittingEmptySubsequences: true).enumerated() {
            if index > 0 { lines.append("") }
            lines += wordWrap(paragraph.split(separator: "\n").joined(separator: " "), width: width)
        }
        return lines
    }
}

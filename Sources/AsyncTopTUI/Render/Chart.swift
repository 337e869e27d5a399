import AsyncTopModel

/// A filled area chart of one value per second, oldest at the left: in braille (two
/// seconds a cell, four levels a row) or, in ASCII, one second a cell with four levels a
/// row drawn as ` .:|#`.
struct Chart {
    /// Seconds a cell holds across.
    static func secondsPerCell(braille: Bool) -> Int { braille ? 2 : 1 }

    /// The value of each second of a window, oldest first; nil where none was recorded.
    let values: [Double?]
    /// The value the top row stands for (above 0).
    let top: Double
    let rows: Int
    let braille: Bool

    /// The window of `seconds` seconds ending at second `now`, from points of (second,
    /// value): a point later than `now` counts as now; two in one second keep the larger.
    static func window(_ points: [(second: UInt64, value: Double)], endingAt now: UInt64, seconds: Int) -> [Double?] {
        guard seconds > 0 else { return [] }
        var out = [Double?](repeating: nil, count: seconds)
        for point in points {
            let back = point.second >= now ? 0 : now - point.second
            guard back < UInt64(seconds) else { continue }
            let i = seconds - 1 - Int(back)
            out[i] = max(out[i] ?? -.infinity, point.value)
        }
        return out
    }

    /// How many dot rows a value fills: at least one for any value above 0.
    private func level(_ value: Double?) -> Int {
        guard let value, value > 0, top > 0 else { return 0 }
        let dots = rows * 4
        return min(dots, max(1, Int((value / top * Double(dots)).rounded())))
    }

    /// The chart's rows, top first; each `values.count / secondsPerCell` cells wide
    /// (rounded up).
    func lines() -> [String] {
        guard rows > 0 else { return [] }
        let levels = values.map(level)
        let perCell = Self.secondsPerCell(braille: braille)
        let cells = (levels.count + perCell - 1) / perCell
        return (0..<rows).map { row in
            // Dot rows this cell row holds above the bottom of the chart.
            let base = (rows - 1 - row) * 4
            var line = ""
            line.reserveCapacity(cells)
            for cell in 0..<cells {
                func filled(_ i: Int) -> Int { i < levels.count ? min(4, max(0, levels[i] - base)) : 0 }
                if braille {
                    line.append(Self.braille(left: filled(cell * 2), right: filled(cell * 2 + 1)))
                } else {
                    line.append(Self.asciiLevels[filled(cell)])
                }
            }
            return line
        }
    }

    static let asciiLevels: [Character] = [" ", ".", ":", "|", "#"]

    /// The braille cell with the bottom `left` dots of its left column and `right` of its
    /// right column raised (0...4 each); a space for none.
    static func braille(left: Int, right: Int) -> Character {
        guard left > 0 || right > 0 else { return " " }
        // Dots 1, 2, 3, 7 down the left column; 4, 5, 6, 8 down the right.
        let leftBits: [UInt32] = [0x40, 0x04, 0x02, 0x01], rightBits: [UInt32] = [0x80, 0x20, 0x10, 0x08]
        var bits: UInt32 = 0
        for i in 0..<min(4, left) { bits |= leftBits[i] }
        for i in 0..<min(4, right) { bits |= rightBits[i] }
        return Character(Unicode.Scalar(0x2800 + bits)!)
    }

    static func isBraille(_ c: Character) -> Bool {
        c.unicodeScalars.first.map { (0x2800...0x28FF).contains($0.value) } ?? false
    }
}

/// A one-row chart of a few values, one cell each: eighth blocks, or ASCII levels.
enum Sparkline {
    static let unicodeLevels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    static let asciiLevels: [Character] = ["_", ".", ",", "-", "=", "+", "*", "#"]

    /// A cell per value; nil values are blank. Values are scaled to `top` (0 and below
    /// draw the lowest level).
    static func line(_ values: [Double?], top: Double, unicode: Bool) -> String {
        let levels = unicode ? unicodeLevels : asciiLevels
        return String(values.map { value -> Character in
            guard let value else { return " " }
            guard top > 0, value > 0 else { return levels[0] }
            let i = Int((value / top * Double(levels.count - 1)).rounded())
            return levels[min(levels.count - 1, max(0, i))]
        })
    }
}

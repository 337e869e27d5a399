/// Compact numbers for narrow columns: "950", "12.3k", "4.5M".
func formatCount(_ value: Double) -> String {
    func one(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r >= 100 ? String(Int(r.rounded())) : String(r)
    }
    switch abs(value) {
    case ..<1_000: return String(Int(value.rounded()))
    case ..<1_000_000: return one(value / 1e3) + "k"
    case ..<1_000_000_000: return one(value / 1e6) + "M"
    default: return one(value / 1e9) + "G"
    }
}

/// A share of 0...1 as a whole percentage: "45%".
func formatPercent(_ fraction: Double) -> String {
    "\(Int((min(max(fraction, 0), 1) * 100).rounded()))%"
}

/// Splits text into lines of at most `width` characters at spaces.
func wordWrap(_ text: String, width: Int) -> [String] {
    guard width > 0 else { return [] }
    var lines: [String] = []
    var current = ""
    for word in text.split(separator: " ") {
        let word = String(word)
        if current.isEmpty {
            current = word
        } else if current.count + 1 + word.count <= width {
            current += " " + word
        } else {
            lines.append(current)
            current = word
        }
        while current.count > width {
            lines.append(String(current.prefix(width)))
            current = String(current.dropFirst(width))
        }
    }
    if !current.isEmpty { lines.append(current) }
    return lines
}

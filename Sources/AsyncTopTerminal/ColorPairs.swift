@preconcurrency import CNcursesw
import AsyncTopTUI

/// ncurses colour pairs, allocated as styles first need them.
struct ColorPairs {
    private var pairs: [Int: Int16] = [:]
    private let available: Int

    /// - Parameter enabled: false for a monochrome terminal: every style gets pair 0.
    init(enabled: Bool) {
        available = enabled ? Int(COLOR_PAIRS) : 0
    }

    /// The pair for a foreground and background, or 0 (the default colours) when pairs run out.
    mutating func pair(foreground: Color, background: Color) -> Int16 {
        if foreground == .default && background == .default { return 0 }
        let key = (foreground.rawValue + 1) * 16 + (background.rawValue + 1)
        if let pair = pairs[key] { return pair }
        guard pairs.count + 1 < available else { return 0 }
        let pair = Int16(pairs.count + 1)
        init_pair(pair, Int16(foreground.rawValue), Int16(background.rawValue))
        pairs[key] = pair
        return pair
    }
}

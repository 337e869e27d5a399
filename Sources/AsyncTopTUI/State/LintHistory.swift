import AsyncTopModel

/// How many lints there were in each second of loop time lately: the lints are evaluated
/// here, in the dashboard, so their history is kept here too (the loop's series has none).
///
/// One entry a second, the most lints seen in it, at most ``capacity`` (five minutes, as
/// the loop's series). A reading at an earlier second than the last (a replay sought back)
/// drops the entries from that second on: the history never runs ahead of the snapshot.
public struct LintHistory: Hashable, Sendable {
    public static let capacity = LoopSeries.capacity

    /// Second of loop time and the lint count in it, oldest first, seconds increasing.
    public private(set) var entries: [(second: UInt64, count: Int)] = []

    public init() {}

    /// Records `count` lints at loop time `at`.
    public mutating func record(at: Nanos, count: Int) {
        let second = at / 1_000_000_000
        if let last = entries.last {
            if second == last.second {
                entries[entries.count - 1].count = max(last.count, count)
                return
            }
            if second < last.second { entries.removeAll { $0.second >= second } }
        }
        entries.append((second, count))
        if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity) }
    }

    public var isEmpty: Bool { entries.isEmpty }

    public static func == (a: LintHistory, b: LintHistory) -> Bool {
        a.entries.count == b.entries.count && zip(a.entries, b.entries).allSatisfy { $0.second == $1.second && $0.count == $1.count }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(entries.count)
        for entry in entries {
            hasher.combine(entry.second)
            hasher.combine(entry.count)
        }
    }
}

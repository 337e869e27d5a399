import AsyncTopModel

/// A column the task list can be sorted by, cycled with `s`.
public enum SortColumn: String, Hashable, Sendable, CaseIterable {
    case id, state, name, age, busy, steps, latency

    /// The next column in the cycle.
    public var next: SortColumn {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }
}

/// The sort of the task list; in tree mode it orders siblings.
public struct SortOrder: Hashable, Sendable {
    public var column: SortColumn
    public var ascending: Bool

    public init(column: SortColumn = .id, ascending: Bool = true) {
        self.column = column
        self.ascending = ascending
    }

    /// Whether `a` goes before `b`; ties fall back to id order so the list is stable.
    func precedes(_ a: TaskInfo, _ b: TaskInfo) -> Bool {
        let order = compare(a, b)
        if order == 0 { return a.id < b.id }
        return ascending ? order < 0 : order > 0
    }

    private func compare(_ a: TaskInfo, _ b: TaskInfo) -> Int {
        func cmp<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x > y ? 1 : 0) }
        switch column {
        case .id: return cmp(a.id, b.id)
        case .state: return cmp(a.state.kind, b.state.kind)
        case .name: return cmp(a.displayName, b.displayName)
        // Older first when ascending: the earlier creation time.
        case .age: return cmp(b.createdAt, a.createdAt)
        case .busy: return cmp(a.busy, b.busy)
        case .steps: return cmp(a.steps, b.steps)
        case .latency: return cmp(a.lastLatency, b.lastLatency)
        }
    }
}

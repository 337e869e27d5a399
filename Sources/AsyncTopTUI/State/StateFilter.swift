import AsyncTopModel

/// Which tasks the task list shows, cycled with `f`.
public enum StateFilter: String, Hashable, Sendable, CaseIterable {
    case all, active, finished, failed, cancelled

    /// Whether a task in state `kind` passes.
    public func admits(_ kind: TaskStateKind) -> Bool {
        switch self {
        case .all: true
        case .active: !kind.isFinished
        case .finished: kind.isFinished
        case .failed: kind == .failed
        case .cancelled: kind == .cancelled
        }
    }

    /// The next filter in the cycle.
    public var next: StateFilter {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }
}

import AsyncTopModel

/// How loudly the dashboard shows a lint: the colour of its mark and of the count.
enum LintSeverity: Int, Comparable {
    /// Slow or sloppy, but the program goes on.
    case warning
    /// Stuck or losing an error: a deadlock, an error no one will see.
    case error

    static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

extension Lint.Kind {
    var severity: LintSeverity {
        switch self {
        case .deadlock, .errorNeverRetrieved: .error
        case .longStep, .cancelNotAcknowledged, .cancelSwallowed, .orphanedWork, .readWithoutTimeout: .warning
        }
    }
}

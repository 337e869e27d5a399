/// A task's id: the Swift runtime's task id, stable for the life of the task.
public typealias TaskID = UInt64

/// Nanoseconds on the loop's monotonic clock, counted from the loop's start.
public typealias Nanos = UInt64

/// The coarse state of a task, without details: what filters and counters use.
public enum TaskStateKind: String, Codable, Sendable, CaseIterable, Comparable {
    case pending, running, suspended, done, failed, cancelled

    /// True for `done`, `failed` and `cancelled`.
    public var isFinished: Bool { self == .done || self == .failed || self == .cancelled }

    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// What a suspended task waits on.
public enum WaitTarget: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The loop cannot tell (a native await it does not instrument).
    case unknown
    /// Runnable, waiting in the loop's ready queue for its turn.
    case ready
    /// A timer: `sleep` until the given loop time.
    case sleep(until: Nanos)
    /// Another task's result (`await handle.value`).
    case task(TaskID)
    /// Its structured children (`async let`, a task group).
    case children(count: Int)
    /// A synchronization primitive, a queue or a future, by kind, id and name.
    case resource(kind: String, id: UInt64, name: String?)
    /// Work on another executor (a thread or process pool), by executor and item.
    case workItem(executor: String, item: UInt64)
    /// Anything else the instrumented code wants to say.
    case other(String)

    public var description: String {
        switch self {
        case .unknown: "?"
        case .ready: "ready"
        case .sleep(let until): "sleep until \(formatSeconds(until))"
        case .task(let id): "task \(id)"
        case .children(let n): n == 1 ? "1 child" : "\(n) children"
        case .resource(let kind, let id, let name): name.map { "\(kind) \($0)" } ?? "\(kind) #\(id)"
        case .workItem(let executor, let item): "\(executor) item \(item)"
        case .other(let text): text
        }
    }
}

/// A task's state with its details.
public enum TaskState: Hashable, Codable, Sendable, CustomStringConvertible {
    case pending
    case running
    case suspended(WaitTarget)
    case done(result: String?)
    case failed(error: String)
    case cancelled(message: String?)

    public var kind: TaskStateKind {
        switch self {
        case .pending: .pending
        case .running: .running
        case .suspended: .suspended
        case .done: .done
        case .failed: .failed
        case .cancelled: .cancelled
        }
    }

    public var isFinished: Bool { kind.isFinished }

    /// The detail a timeline shows: what it waits on, the error, the message or the result.
    public var detail: String? {
        switch self {
        case .pending, .running: nil
        case .suspended(let on): on.description
        case .done(let result): result
        case .failed(let error): error
        case .cancelled(let message): message
        }
    }

    public var description: String {
        switch self {
        case .pending: "pending"
        case .running: "running"
        case .suspended(let on): "suspended on \(on)"
        case .done(let result): result.map { "done: \($0)" } ?? "done"
        case .failed(let error): "failed: \(error)"
        case .cancelled(let message): message.map { "cancelled: \($0)" } ?? "cancelled"
        }
    }
}

/// Formats nanoseconds as seconds with millisecond precision ("1.250s").
public func formatSeconds(_ ns: Nanos) -> String {
    let ms = ns / 1_000_000
    let frac = String(ms % 1000)
    return "\(ms / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)s"
}

/// Formats a duration in nanoseconds compactly: "850ns", "12.3µs", "4.5ms", "2.10s".
public func formatDuration(_ ns: Nanos) -> String {
    func one(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r >= 100 ? String(Int(r.rounded())) : String(r)
    }
    switch ns {
    case ..<1_000: return "\(ns)ns"
    case ..<1_000_000: return one(Double(ns) / 1e3) + "µs"
    case ..<1_000_000_000: return one(Double(ns) / 1e6) + "ms"
    default:
        let s = Double(ns) / 1e9
        return (s >= 100 ? String(Int(s.rounded())) : String((s * 100).rounded() / 100)) + "s"
    }
}

/// Who asked a task to stop.
public enum CancelRequester: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Another task on the loop (or the task itself).
    case task(TaskID)
    /// A thread that is not running a task of the loop, by name.
    case thread(String)
    /// A user of the dashboard or of an attached client.
    case dashboard
    /// The loop itself, closing with tasks left pending.
    case loopShutdown
    /// A combinator acting for a task: a time-out, a failing sibling, a gather.
    case combinator(String, task: TaskID?)

    public var description: String {
        switch self {
        case .task(let id): "task \(id)"
        case .thread(let name): "thread \(name)"
        case .dashboard: "dashboard"
        case .loopShutdown: "loop shutdown"
        case .combinator(let what, let task): task.map { "\(what) in task \($0)" } ?? what
        }
    }
}

/// What became of a cancellation request.
public enum CancelOutcome: String, Hashable, Codable, Sendable {
    /// The request is recorded; the task has not finished yet.
    case pending
    /// The task ended cancelled.
    case cancelled
    /// The task saw the cancellation (or not) and finished normally anyway.
    case swallowed
    /// The task failed with another error after the request.
    case failedInstead
}

/// The provenance of a cancellation: who, why, when, where it landed, and how it ended.
public struct CancelInfo: Hashable, Codable, Sendable {
    public var requestedBy: CancelRequester
    public var message: String?
    public var requestedAt: Nanos
    /// When the task first saw the cancellation (an await threw `CancellationError`).
    public var deliveredAt: Nanos?
    /// Which await threw, when the loop knows ("sleep", "task 12", "Lock db").
    public var deliveredIn: String?
    public var outcome: CancelOutcome

    public init(requestedBy: CancelRequester, message: String?, requestedAt: Nanos,
                deliveredAt: Nanos? = nil, deliveredIn: String? = nil, outcome: CancelOutcome = .pending) {
        self.requestedBy = requestedBy
        self.message = message
        self.requestedAt = requestedAt
        self.deliveredAt = deliveredAt
        self.deliveredIn = deliveredIn
        self.outcome = outcome
    }
}

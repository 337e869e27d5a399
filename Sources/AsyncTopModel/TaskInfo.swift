/// How a task came to be on the loop.
public enum TaskOrigin: String, Hashable, Codable, Sendable {
    /// Through the runtime's `spawn`: named, with a handle and a recorded end.
    case spawned
    /// A native task the loop saw through its jobs: `async let`, a group child, a `Task {}`
    /// with the loop as its executor preference.
    case native
    /// The main task of `EventLoop.run`.
    case main
}

/// One entry of a task's state history.
public struct Transition: Hashable, Codable, Sendable {
    public var at: Nanos
    public var state: TaskStateKind
    /// A short detail: what it waited on, an error, a message.
    public var detail: String?

    public init(at: Nanos, state: TaskStateKind, detail: String? = nil) {
        self.at = at
        self.state = state
        self.detail = detail
    }
}

/// Everything the loop knows about one task, as an immutable value.
public struct TaskInfo: Hashable, Codable, Sendable, Identifiable {
    public var id: TaskID
    public var parentID: TaskID?
    public var name: String
    public var origin: TaskOrigin
    /// Where it was spawned, "File.swift:12", when known.
    public var site: String?
    public var state: TaskState
    /// Set once a cancellation was requested; stays after the task ends.
    public var cancel: CancelInfo?
    /// Earlier transitions, oldest first, bounded: every change of state or of what the task
    /// waits on, cancellation requests and the end. The first start is `startedAt` and the
    /// state now began at `stateSince`; ``timeline`` puts them all in order.
    public var history: [Transition]
    /// How many transitions were dropped from `history` to keep it bounded.
    public var historyDropped: Int
    public var createdAt: Nanos
    /// When it first ran, once it has.
    public var startedAt: Nanos?
    /// When the current state began.
    public var stateSince: Nanos
    public var finishedAt: Nanos?
    /// Times the task ran (steps).
    public var steps: UInt64
    public var busy: Nanos
    public var lastStep: Nanos
    public var maxStep: Nanos
    /// Scheduling latency: from the job's enqueue to its start.
    public var lastLatency: Nanos
    public var maxLatency: Nanos
    /// Which executor the task runs on ("loop").
    public var executor: String

    public init(id: TaskID, parentID: TaskID? = nil, name: String, origin: TaskOrigin = .spawned,
                site: String? = nil, state: TaskState = .pending, cancel: CancelInfo? = nil,
                history: [Transition] = [], historyDropped: Int = 0, createdAt: Nanos = 0,
                startedAt: Nanos? = nil, stateSince: Nanos? = nil, finishedAt: Nanos? = nil, steps: UInt64 = 0, busy: Nanos = 0, lastStep: Nanos = 0,
                maxStep: Nanos = 0, lastLatency: Nanos = 0, maxLatency: Nanos = 0,
                executor: String = "loop") {
        self.id = id
        self.parentID = parentID
        self.name = name
        self.origin = origin
        self.site = site
        self.state = state
        self.cancel = cancel
        self.history = history
        self.historyDropped = historyDropped
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.stateSince = stateSince ?? finishedAt ?? startedAt ?? createdAt
        self.finishedAt = finishedAt
        self.steps = steps
        self.busy = busy
        self.lastStep = lastStep
        self.maxStep = maxStep
        self.lastLatency = lastLatency
        self.maxLatency = maxLatency
        self.executor = executor
    }

    /// The whole story in time order: created, first run, earlier transitions, the state now.
    public var timeline: [Transition] {
        var all = [Transition(at: createdAt, state: .pending)]
        if let startedAt { all.append(Transition(at: startedAt, state: .running)) }
        all += history
        let now = Transition(at: stateSince, state: state.kind, detail: state.detail)
        if all.last != now { all.append(now) }
        return all
    }

    /// True while a cancellation was asked for and the task has not finished.
    public var cancelRequested: Bool { cancel != nil && !state.isFinished }
}

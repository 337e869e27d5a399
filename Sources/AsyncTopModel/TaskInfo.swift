/// How a task came to be on the loop.
public enum TaskOrigin: String, Hashable, Codable, Sendable {
    /// Through the runtime's `spawn`: named, with a handle and a recorded end.
    case spawned
    /// A native task the loop saw through its jobs: a `Task {}` with the loop as its
    /// executor preference, or one of unknown kind.
    case native
    /// A native `async let` child.
    case asyncLet
    /// A native task-group child (`group.addTask`).
    case groupChild
    /// The main task of `EventLoop.run` (or of a program `asynctop run` watches).
    case main
    /// A `Task {}` of a program watched by `asynctop run`.
    case unstructured
    /// A `Task.detached {}` of a program watched by `asynctop run`.
    case detached
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
///
/// A final class with constant fields, so a snapshot shares the values of unchanged tasks
/// with the previous one instead of copying some 300 bytes per task.
public final class TaskInfo: Hashable, Codable, Sendable, Identifiable {
    public let id: TaskID
    /// The registry version of the task's last change.
    public let version: UInt64
    public let parentID: TaskID?
    /// The name given at spawn; nil for unnamed and native tasks (see ``displayName``).
    public let name: String?
    public let origin: TaskOrigin
    /// Where it was spawned, "File.swift:12", when known.
    public let site: String?
    public let state: TaskState
    /// Set once a cancellation was requested; stays after the task ends.
    public let cancel: CancelInfo?
    /// Earlier transitions, oldest first, bounded: each suspension (with what the task
    /// waited on) and each later step. The first start is `startedAt`, the state now began
    /// at `stateSince`, a cancellation request is in `cancel`; ``timeline`` puts them all
    /// in order. A long history keeps its first and its latest transitions.
    public let history: [Transition]
    /// How many transitions were dropped from `history` to keep it bounded: exactly.
    public let historyDropped: Int
    /// Where the dropped transitions were: after this many of `history` (nil when none
    /// were dropped, and in values recorded before it existed).
    public let historyDroppedAfter: Int?
    public let createdAt: Nanos
    /// When it first ran, once it has.
    public let startedAt: Nanos?
    /// When the current state began.
    public let stateSince: Nanos
    public let finishedAt: Nanos?
    /// Times the task ran (steps).
    public let steps: UInt64
    public let busy: Nanos
    public let lastStep: Nanos
    public let maxStep: Nanos
    /// Scheduling latency: from the job's enqueue to its start.
    public let lastLatency: Nanos
    public let maxLatency: Nanos
    /// Which executor the task runs on ("loop").
    public let executor: String
    /// When someone first took the error of this failed task (awaited it, `result()`,
    /// `exception()`, a combinator); nil while no one has. asyncio's "exception was never
    /// retrieved" check reads it.
    public let retrievedAt: Nanos?
    /// The tasks that awaited this one through `shield`, so that their cancellation did not
    /// reach it, first first; nil when none did (and in values recorded before it existed).
    public let shieldedBy: [TaskID]?
    /// Where the task waits (its async stack), when someone asked for it while the task was
    /// suspended, and only for the suspension that is still going on (nil otherwise, and in
    /// values recorded before it existed).
    public let stack: TaskStack?
    /// The durations of its steps and the scheduling latencies of its jobs, once it has run
    /// twice (nil before, from uninstrumented loops and in values recorded before they existed).
    public let stepHistogram: DurationHistogram?
    public let latencyHistogram: DurationHistogram?
    /// When a time-out awaiting the task (`waitFor`, `withTimeout`) cancels it, in loop
    /// time; nil when none does (and in values recorded before it existed).
    public let deadline: Nanos?

    public init(id: TaskID, parentID: TaskID? = nil, name: String?, origin: TaskOrigin = .spawned,
                site: String? = nil, state: TaskState = .pending, cancel: CancelInfo? = nil,
                history: [Transition] = [], historyDropped: Int = 0, historyDroppedAfter: Int? = nil, createdAt: Nanos = 0,
                startedAt: Nanos? = nil, stateSince: Nanos? = nil, finishedAt: Nanos? = nil, steps: UInt64 = 0, busy: Nanos = 0, lastStep: Nanos = 0,
                maxStep: Nanos = 0, lastLatency: Nanos = 0, maxLatency: Nanos = 0,
                executor: String = "loop", retrievedAt: Nanos? = nil, shieldedBy: [TaskID]? = nil,
                stack: TaskStack? = nil, stepHistogram: DurationHistogram? = nil,
                latencyHistogram: DurationHistogram? = nil, deadline: Nanos? = nil, version: UInt64 = 0) {
        self.id = id
        self.version = version
        self.parentID = parentID
        self.name = name
        self.origin = origin
        self.site = site
        self.state = state
        self.cancel = cancel
        self.history = history
        self.historyDropped = historyDropped
        self.historyDroppedAfter = historyDroppedAfter
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
        self.retrievedAt = retrievedAt
        self.shieldedBy = shieldedBy
        self.stack = stack
        self.stepHistogram = stepHistogram
        self.latencyHistogram = latencyHistogram
        self.deadline = deadline
    }

    /// A copy with some fields replaced (the value itself never changes).
    public func with(name: String?? = nil, state: TaskState? = nil, cancel: CancelInfo?? = nil,
                     steps: UInt64? = nil, busy: Nanos? = nil, stateSince: Nanos? = nil,
                     stack: TaskStack?? = nil, version: UInt64? = nil) -> TaskInfo {
        TaskInfo(id: id, parentID: parentID, name: name ?? self.name, origin: origin, site: site,
                 state: state ?? self.state, cancel: cancel ?? self.cancel, history: history,
                 historyDropped: historyDropped, historyDroppedAfter: historyDroppedAfter, createdAt: createdAt,
                 startedAt: startedAt,
                 stateSince: stateSince ?? self.stateSince, finishedAt: finishedAt, steps: steps ?? self.steps,
                 busy: busy ?? self.busy, lastStep: lastStep, maxStep: maxStep, lastLatency: lastLatency,
                 maxLatency: maxLatency, executor: executor, retrievedAt: retrievedAt, shieldedBy: shieldedBy,
                 stack: stack ?? self.stack, stepHistogram: stepHistogram, latencyHistogram: latencyHistogram,
                 deadline: deadline, version: version ?? self.version)
    }

    /// The name; for an unnamed task its kind ("async let", "group child") or `Task-<id>`,
    /// as asyncio names unnamed tasks.
    public var displayName: String {
        if let name { return name }
        switch origin {
        case .asyncLet: return "async let"
        case .groupChild: return "group child"
        default: return "Task-\(id)"
        }
    }

    /// The whole story in time order: created, first run, earlier transitions, the state now.
    public var timeline: [Transition] {
        var all = [Transition(at: createdAt, state: .pending)]
        if let startedAt { all.append(Transition(at: startedAt, state: .running)) }
        all += history
        if let cancel {
            // The request as a moment of its own, in the state the task was in then.
            let at = cancel.requestedAt
            let before = all.last { $0.at <= at }?.state ?? .pending
            let stateThen: TaskStateKind = stateSince <= at ? state.kind : before
            let index = all.firstIndex { $0.at > at } ?? all.count
            all.insert(Transition(at: at, state: stateThen, detail: "cancel requested by \(cancel.requestedBy)"), at: index)
        }
        let now = Transition(at: stateSince, state: state.kind, detail: state.detail)
        if all.last != now { all.append(now) }
        return all
    }

    public static func == (a: TaskInfo, b: TaskInfo) -> Bool {
        a === b || (a.id == b.id && a.version == b.version && a.parentID == b.parentID && a.name == b.name
            && a.origin == b.origin && a.site == b.site && a.state == b.state && a.cancel == b.cancel
            && a.history == b.history && a.historyDropped == b.historyDropped
            && a.historyDroppedAfter == b.historyDroppedAfter && a.createdAt == b.createdAt
            && a.startedAt == b.startedAt && a.stateSince == b.stateSince && a.finishedAt == b.finishedAt
            && a.steps == b.steps && a.busy == b.busy && a.lastStep == b.lastStep && a.maxStep == b.maxStep
            && a.lastLatency == b.lastLatency && a.maxLatency == b.maxLatency && a.executor == b.executor
            && a.retrievedAt == b.retrievedAt && a.shieldedBy == b.shieldedBy && a.stack == b.stack && a.deadline == b.deadline
            && a.stepHistogram == b.stepHistogram && a.latencyHistogram == b.latencyHistogram)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(version)
        hasher.combine(state)
    }

    /// True while a cancellation was asked for and the task has not finished.
    public var cancelRequested: Bool { cancel != nil && !state.isFinished }
}

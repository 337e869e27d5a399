/// Turns successive snapshots of a loop into task events: what a headless demo run prints.
///
/// Each task's timeline (creation, first run, history, state now) is replayed once: a
/// transition is reported the first time a snapshot shows it, so states that came and went
/// between two snapshots still appear when the task's history kept them.
public struct TaskTrace: Sendable {
    /// Tasks not to report (the observer's own, say).
    public var excluded: Set<TaskID>
    /// The transitions reported of each task, as far as a later snapshot can show them
    /// again: its first two (spawned, started) and those of its bounded history. Bounded,
    /// however long the task runs: a worker that sleeps thousands of times is not
    /// remembered thousands of times.
    private var seen: [TaskID: Set<Seen>] = [:]
    private var started: Set<TaskID> = []
    private var cancelSeen: Set<TaskID> = []
    /// The state and detail last reported for each task: a task that stays in the same
    /// wait over many steps (a `Task.yield` loop, a queue it keeps coming back to) is
    /// reported once, not at every sample.
    private var last: [TaskID: Transition] = [:]

    public init(excluding excluded: Set<TaskID> = []) { self.excluded = excluded }

    /// About the length of a task's history: past it (and a few more, to forget in
    /// batches), the transitions no snapshot can show again are forgotten.
    static let historyWindow = 32

    /// The events `snapshot` shows that earlier ones did not, in time order.
    public mutating func events(in snapshot: Snapshot) -> [TraceEvent] { events(of: snapshot.tasks) }

    /// The events that applying `delta` to the last snapshot seen shows, in time order: the
    /// same as ``events(in:)`` on the new snapshot, as a task the delta did not change has
    /// nothing new, but without a walk over every task (10,000 of them took most of a
    /// headless run's tracing).
    public mutating func events(in delta: SnapshotDelta) -> [TraceEvent] { events(of: delta.changed) }

    private mutating func events(of tasks: [TaskInfo]) -> [TraceEvent] {
        var out: [TraceEvent] = []
        for task in tasks where !excluded.contains(task.id) { events(of: task, into: &out) }
        return out.inTimeOrder()
    }

    private mutating func events(of task: TaskInfo, into out: inout [TraceEvent]) {
        var all = [Transition(at: task.createdAt, state: .pending)]
        if let startedAt = task.startedAt { all.append(Transition(at: startedAt, state: .running)) }
        all += task.history.filter { !($0.detail ?? "").hasPrefix("cancel requested") }
        let now = Transition(at: task.stateSince, state: task.state.kind, detail: task.state.detail)
        if all.last != now { all.append(now) }
        // Taken out and put back, so that inserting does not copy the set.
        var known = seen.removeValue(forKey: task.id) ?? []
        if known.count > Self.historyWindow + 8 {
            let (keptUntil, keptFrom) = Self.gap(in: task)
            known = known.filter { $0.at <= keptUntil || $0.at >= keptFrom }
        }
        let name = task.displayName
        for transition in all {
            guard known.insert(Seen(transition)).inserted else { continue }
            // The history keeps an unknown wait without a detail; the state now says "?".
            let shown = transition.state == .suspended ? transition.detail ?? "?" : transition.detail
            if transition.state == .suspended, let previous = last[task.id],
               previous.state == .suspended, previous.detail == shown {
                continue
            }
            last[task.id] = Transition(at: transition.at, state: transition.state, detail: shown)
            let event: String
            switch transition.state {
            case .pending: event = "spawned"
            case .running: event = started.insert(task.id).inserted ? "started" : "resumed"
            case .suspended: event = "suspended"
            case .done: event = "done"
            case .failed: event = "failed"
            case .cancelled: event = "cancelled"
            }
            // A pending or running entry's detail is not worth a field.
            let detail = transition.state == .pending || transition.state == .running ? nil : transition.detail
            out.append(TraceEvent(at: transition.at, event: event, task: task.id, name: name, detail: detail))
        }
        seen[task.id] = known
        if let cancel = task.cancel, cancelSeen.insert(task.id).inserted {
            out.append(TraceEvent(at: cancel.requestedAt, event: "cancel_requested", task: task.id, name: name,
                                  detail: "by \(cancel.requestedBy)"))
        }
    }
}

extension TaskTrace {
    /// The times between which `task`'s history drops what it drops, and what no later
    /// snapshot shows again: the transitions after `keptUntil` and before `keptFrom`.
    ///
    /// The history keeps its first ``TaskInfo/historyDroppedAfter`` transitions (how the
    /// task began) and its latest, and drops from between: the gap is after the head, not
    /// before the oldest kept transition, which stays the first one for good (taking it for
    /// the gap forgot nothing, and a task sleeping in a loop was remembered at every sleep).
    /// Without a head (values recorded before it existed), the oldest are dropped.
    static func gap(in task: TaskInfo) -> (keptUntil: Nanos, keptFrom: Nanos) {
        let start = task.startedAt ?? task.createdAt
        let history = task.history
        if let head = task.historyDroppedAfter, head > 0, head < history.count {
            return (max(start, history[head - 1].at), history[head].at)
        }
        return (start, history.first?.at ?? task.stateSince)
    }

    /// How many transitions of task `id` the trace remembers, to tell them again apart.
    func remembered(of id: TaskID) -> Int { seen[id]?.count ?? 0 }
}

/// A reported transition as far as telling it again apart needs: its time, state and a hash
/// of its detail, without keeping the text (ten thousand tasks' histories of texts took
/// tens of megabytes).
private struct Seen: Hashable {
    let at: Nanos
    let state: TaskStateKind
    let detail: Int

    init(_ transition: Transition) {
        at = transition.at
        state = transition.state
        detail = transition.detail?.hashValue ?? 0
    }
}

extension [TraceEvent] {
    /// The events sorted by time, those of the same time in the order given.
    public func inTimeOrder() -> [TraceEvent] {
        // Sorts positions by plain integer keys and moves each event once: sorting the
        // events themselves (or comparing tuples) cost most of a trace of 10,000 tasks
        // in debug builds, where the sort is not specialized.
        let times = map(\.at)
        let order = indices.sorted { a, b in times[a] != times[b] ? times[a] < times[b] : a < b }
        return order.map { self[$0] }
    }
}

/// Turns successive snapshots of a loop into task events: what a headless demo run prints.
///
/// Each task's timeline (creation, first run, history, state now) is replayed once: a
/// transition is reported the first time a snapshot shows it, so states that came and went
/// between two snapshots still appear when the task's history kept them.
public struct TaskTrace: Sendable {
    /// Tasks not to report (the observer's own, say).
    public var excluded: Set<TaskID>
    /// What was reported of each task: only its latest time and the transitions at that
    /// time, as a task's transitions come in time order. Bounded, however long the task
    /// runs: a worker that sleeps thousands of times is not remembered thousands of times.
    private var seen: [TaskID: Reported] = [:]
    private var started: Set<TaskID> = []
    private var cancelSeen: Set<TaskID> = []
    /// The state and detail last reported for each task: a task that stays in the same
    /// wait over many steps (a `Task.yield` loop, a queue it keeps coming back to) is
    /// reported once, not at every sample.
    private var last: [TaskID: Transition] = [:]

    public init(excluding excluded: Set<TaskID> = []) { self.excluded = excluded }

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
        var known = seen.removeValue(forKey: task.id) ?? Reported()
        let name = task.displayName
        for transition in all {
            guard known.insert(transition) else { continue }
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

/// The transitions of a task reported so far, as far as later ones need: the latest time
/// and what was reported at that time.
private struct Reported {
    var latest: Nanos?
    var atLatest: Set<Transition> = []

    /// Whether `transition` is new: later than the latest, or at the latest and not yet seen.
    mutating func insert(_ transition: Transition) -> Bool {
        if let latest, transition.at < latest { return false }
        if transition.at != latest {
            latest = transition.at
            atLatest = []
        }
        return atLatest.insert(transition).inserted
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

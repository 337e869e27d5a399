/// Turns successive snapshots of a loop into task events: what a headless demo run prints.
///
/// Each task's timeline (creation, first run, history, state now) is replayed once: a
/// transition is reported the first time a snapshot shows it, so states that came and went
/// between two snapshots still appear when the task's history kept them.
public struct TaskTrace: Sendable {
    /// Tasks not to report (the observer's own, say).
    public var excluded: Set<TaskID>
    private var seen: [TaskID: Set<Transition>] = [:]
    private var started: Set<TaskID> = []
    private var cancelSeen: Set<TaskID> = []
    /// The state and detail last reported for each task: a task that stays in the same
    /// wait over many steps (a `Task.yield` loop, a queue it keeps coming back to) is
    /// reported once, not at every sample.
    private var last: [TaskID: Transition] = [:]

    public init(excluding excluded: Set<TaskID> = []) { self.excluded = excluded }

    /// The events `snapshot` shows that earlier ones did not, in time order.
    public mutating func events(in snapshot: Snapshot) -> [TraceEvent] {
        var out: [TraceEvent] = []
        for task in snapshot.tasks where !excluded.contains(task.id) { out += events(of: task) }
        return out.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
    }

    private mutating func events(of task: TaskInfo) -> [TraceEvent] {
        var all = [Transition(at: task.createdAt, state: .pending)]
        if let startedAt = task.startedAt { all.append(Transition(at: startedAt, state: .running)) }
        all += task.history.filter { !($0.detail ?? "").hasPrefix("cancel requested") }
        let now = Transition(at: task.stateSince, state: task.state.kind, detail: task.state.detail)
        if all.last != now { all.append(now) }
        var known = seen[task.id] ?? []
        var out: [TraceEvent] = []
        for transition in all {
            guard known.insert(transition).inserted else { continue }
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
            out.append(TraceEvent(at: transition.at, event: event, task: task.id, name: task.displayName, detail: detail))
        }
        seen[task.id] = known
        if let cancel = task.cancel, cancelSeen.insert(task.id).inserted {
            out.append(TraceEvent(at: cancel.requestedAt, event: "cancel_requested", task: task.id, name: task.displayName,
                                  detail: "by \(cancel.requestedBy)"))
        }
        return out
    }
}

import AsyncTopModel

/// Where a task was spawned.
struct SpawnSite: Sendable {
    let file: StaticString
    let line: UInt

    var text: String {
        let path = file.description
        let base = path.split(separator: "/").last.map(String.init) ?? path
        return "\(base):\(line)"
    }
}

/// The loop's live record of one task, stored by value in the registry's slots.
///
/// A value, not an object: the loop touches a record on every step, and a class cost a
/// reference count round trip on each touch. A parked task's record allocates nothing
/// else: the first start and the current state live in fields, and `history` gets the
/// earlier transitions only once there are some.
struct TaskRecord {
    // The fields every step and every snapshot touch come first, to share cache lines.
    var id: TaskID
    /// Registry version of the last change.
    var version: UInt64 = 0
    /// The value the last snapshot made of this record, reused while `version` matches.
    var info: TaskInfo?
    var state: TaskStateKind = .pending
    var origin: TaskOrigin
    /// The spawn site's number in the loop's `SiteTable` (0: unknown).
    var site: UInt32 = 0
    var steps: UInt64 = 0
    var busy: Nanos = 0
    /// Step durations and scheduling latencies in ticks of 16 ns (up to 68 s), to keep the record small.
    var lastStep: UInt32 = 0
    var maxStep: UInt32 = 0
    var lastLatency: UInt32 = 0
    var maxLatency: UInt32 = 0
    /// When the current state began; for a finished task, when it finished.
    var stateSince: Nanos
    var startedAt: Nanos = 0
    /// What the task waits on, or waited on before the step that runs now.
    var wait: PackedWait = .unknown
    var createdAt: Nanos
    var parentID: TaskID
    var name: String?
    /// Earlier transitions, unformatted (see ``TaskHistory``). Freed by the registry with
    /// the record.
    var history = TaskHistory()
    /// Rarely needed details, allocated on first use.
    var extras: Extras?
    /// The handle's storage of a spawned task: to cancel it and to describe its result.
    var box: SpawnedTask?
    /// The Swift task object, retained by the loop from the task's first step on the loop
    /// until its end is seen (or the record goes): what its async stack is read from.
    var object: UnsafeMutableRawPointer?
    /// Its last step ended with the task queued or running somewhere other than this loop
    /// (it hopped to another executor): its stack is read with fault-proof reads only.
    var away = false
    /// Its step and latency histograms, from its second step on (most tasks take one or
    /// two steps: a pointer's worth until then). Freed by the registry with the record.
    var histograms: TaskHistograms?

    /// Nanoseconds as ticks of 16 ns, saturating.
    @inline(__always)
    static func ticks(_ nanos: Nanos) -> UInt32 { UInt32(clamping: nanos >> 4) }

    @inline(__always)
    static func nanos(_ ticks: UInt32) -> Nanos { Nanos(ticks) << 4 }

    final class Extras {
        var cancel: CancelInfo?
        var finalState: TaskState?
        var retrievedAt: Nanos?
        /// The tasks that awaited it through `shield`, first first (at most `shieldersLimit`).
        var shieldedBy: [TaskID] = []
        /// When a time-out awaiting the task cancels it (loop time).
        var deadline: Nanos?
        /// The async stack captured during a suspension (current while `capturedAt` is not
        /// before the record's `stateSince` and the task is still suspended).
        var stack: TaskStack?
    }

    /// How many shielding awaiters a record names.
    static let shieldersLimit = 8

    /// One earlier state, as the loop keeps it: a suspension with what it waited on, or a
    /// step. Described only when a snapshot shows it.
    struct HistoryEntry {
        var at: Nanos
        var state: TaskStateKind
        var wait: PackedWait
    }

    /// The history keeps the first `historyHead` transitions (how the task began) and the
    /// latest ones, `historyLimit` in all, and counts the ones between that it drops.
    static let historyHead = TaskHistory.head
    static let historyLimit = TaskHistory.limit

    init(id: TaskID, parentID: TaskID, name: String?, origin: TaskOrigin, createdAt: Nanos) {
        self.id = id
        self.parentID = parentID
        self.name = name
        self.origin = origin
        self.createdAt = createdAt
        self.stateSince = createdAt
    }

    var ensureExtras: Extras {
        mutating get {
            if let extras { return extras }
            let made = Extras()
            extras = made
            return made
        }
    }

    var cancel: CancelInfo? {
        get { extras?.cancel }
        set { ensureExtras.cancel = newValue }
    }

    var isFinished: Bool { state.isFinished }

    /// Adds an earlier transition (they come in time order). Once the history is full, the
    /// latest overwrites the oldest of the ring after the head, and is counted as dropped.
    @inline(__always)
    mutating func remember(_ state: TaskStateKind, at: Nanos, wait: PackedWait = .unknown) {
        history.append(HistoryEntry(at: at, state: state, wait: wait))
    }

    /// The state that just ended becomes history: a suspension with its wait, or a step
    /// (not the first one, which `startedAt` shows).
    mutating func rememberCurrentState() {
        switch state {
        case .suspended: remember(.suspended, at: stateSince, wait: wait)
        case .running where steps > 1: remember(.running, at: stateSince)
        default: break
        }
    }

    /// The kept transitions in time order, described; descriptions the previous value
    /// already made are reused.
    private func describedHistory(reusing previous: [Transition]) -> [Transition] {
        guard !history.isEmpty else { return [] }
        let ordered = history.ordered
        var result: [Transition] = []
        result.reserveCapacity(ordered.count)
        var j = 0
        for entry in ordered {
            while j < previous.count, previous[j].at < entry.at { j += 1 }
            if j < previous.count, previous[j].at == entry.at, previous[j].state == entry.state {
                result.append(previous[j])
                continue
            }
            let detail = entry.state == .suspended && entry.wait != .unknown ? entry.wait.target.description : nil
            result.append(Transition(at: entry.at, state: entry.state, detail: detail))
        }
        return result
    }

    /// The display name: the given one, or one made from the id.
    var displayName: String { name ?? "Task-\(id)" }

    /// The full state with its details. A result is described once, by the first snapshot
    /// that shows it, then kept.
    mutating func fullState() -> TaskState {
        switch state {
        case .pending: return .pending
        case .running: return .running
        case .suspended: return .suspended(wait.target)
        case .done, .failed, .cancelled:
            if let final = extras?.finalState { return final }
            let text = box?.resultDescription
            if text != nil { ensureExtras.finalState = .done(result: text) }
            return .done(result: text)
        }
    }

    /// The captured stack, while it still describes the suspension going on.
    var currentStack: TaskStack? {
        guard let stack = extras?.stack, state == .suspended || state == .pending, stack.capturedAt >= stateSince else {
            return nil
        }
        return stack
    }

    /// The record as a value; made anew only when the record changed since the last time.
    mutating func snapshot(executor: String, sites: SiteTable) -> TaskInfo {
        if let info, info.version == version { return info }
        let made = makeInfo(executor: executor, sites: sites)
        info = made
        return made
    }

    private mutating func makeInfo(executor: String, sites: SiteTable) -> TaskInfo {
        TaskInfo(
            id: id, parentID: parentID == 0 ? nil : parentID, name: name, origin: origin,
            site: sites.text(site), state: fullState(), cancel: extras?.cancel,
            history: describedHistory(reusing: info?.history ?? []),
            historyDropped: Int(history.dropped),
            historyDroppedAfter: history.dropped > 0 ? Self.historyHead : nil, createdAt: createdAt,
            startedAt: steps == 0 ? nil : startedAt, stateSince: stateSince,
            finishedAt: isFinished ? stateSince : nil, steps: steps, busy: busy, lastStep: Self.nanos(lastStep),
            maxStep: Self.nanos(maxStep), lastLatency: Self.nanos(lastLatency), maxLatency: Self.nanos(maxLatency),
            executor: executor, retrievedAt: extras?.retrievedAt,
            shieldedBy: (extras?.shieldedBy).flatMap { $0.isEmpty ? nil : $0 }, stack: currentStack,
            stepHistogram: histograms?.steps(sum: busy, max: Self.nanos(maxStep)),
            latencyHistogram: histograms?.latencies(max: Self.nanos(maxLatency)),
            deadline: extras?.deadline, version: version)
    }
}

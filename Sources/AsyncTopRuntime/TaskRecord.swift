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

/// The loop's live record of one task. Confined to the loop thread (closures only carry it
/// there, hence the unchecked `Sendable`); the registry turns it
/// into a `TaskInfo` value for snapshots.
final class TaskRecord: @unchecked Sendable {
    var id: TaskID
    let parentID: TaskID
    var name: String?
    let origin: TaskOrigin
    let site: SpawnSite?
    var state: TaskStateKind = .pending
    /// What the task waits on while suspended; set by the instrumented await before it suspends.
    var wait: WaitTarget = .unknown
    let createdAt: Nanos
    var finishedAt: Nanos = 0
    var steps: UInt64 = 0
    var busy: Nanos = 0
    var lastStep: Nanos = 0
    var maxStep: Nanos = 0
    var lastLatency: Nanos = 0
    var maxLatency: Nanos = 0
    /// Registry version of the last change.
    var version: UInt64 = 0
    /// Transitions, oldest first, at most `TaskRecord.historyLimit`.
    var history: [Transition] = []
    /// Rarely needed details, allocated on first use to keep a parked task's record small.
    var extras: Extras?
    /// Set once the registry dropped the record (retention).
    var evicted = false
    /// The handle's storage of a spawned task: to cancel it and to describe its result.
    /// Cleared when the record is dropped, which breaks the record ↔ handle cycle.
    var box: AnyTaskBox?

    final class Extras {
        var cancel: CancelInfo?
        var finalState: TaskState?
        var historyDropped = 0
    }

    static let historyLimit = 32

    init(id: TaskID, parentID: TaskID, name: String?, origin: TaskOrigin, site: SpawnSite?, createdAt: Nanos) {
        self.id = id
        self.parentID = parentID
        self.name = name
        self.origin = origin
        self.site = site
        self.createdAt = createdAt
    }

    var ensureExtras: Extras {
        if let extras { return extras }
        let made = Extras()
        extras = made
        return made
    }

    func detach() { box = nil }

    var cancel: CancelInfo? {
        get { extras?.cancel }
        set { ensureExtras.cancel = newValue }
    }

    var isFinished: Bool { state.isFinished }

    /// Appends a transition, keeping the history bounded: the first entry stays, the
    /// oldest after it go.
    func record(_ kind: TaskStateKind, at time: Nanos, detail: String? = nil) {
        if history.count >= Self.historyLimit {
            history.remove(at: 1)
            ensureExtras.historyDropped += 1
        }
        history.append(Transition(at: time, state: kind, detail: detail))
    }

    /// The display name: the given one, or one made from the id.
    var displayName: String { name ?? "Task-\(id)" }

    /// The full state with its details.
    var fullState: TaskState {
        switch state {
        case .pending: return .pending
        case .running: return .running
        case .suspended: return .suspended(wait)
        case .done, .failed, .cancelled:
            if let final = extras?.finalState { return final }
            // A result is described once, by the first snapshot that shows it, then kept.
            let text = box?.resultDescription
            if text != nil { ensureExtras.finalState = .done(result: text) }
            return .done(result: text)
        }
    }

    func info(executor: String) -> TaskInfo {
        TaskInfo(
            id: id, parentID: parentID == 0 ? nil : parentID, name: displayName, origin: origin,
            site: site?.text, state: fullState, cancel: extras?.cancel, history: history,
            historyDropped: extras?.historyDropped ?? 0, createdAt: createdAt,
            finishedAt: isFinished ? finishedAt : nil, steps: steps, busy: busy, lastStep: lastStep,
            maxStep: maxStep, lastLatency: lastLatency, maxLatency: maxLatency, executor: executor)
    }
}

import AsyncTopModel
import DequeModule

/// How long finished tasks stay visible: at most `maxFinished` of them, none older than `maxAge`.
public struct RetentionPolicy: Sendable, Equatable {
    public var maxFinished: Int
    public var maxAge: Double

    public init(maxFinished: Int = 10_000, maxAge: Double = 60) {
        self.maxFinished = max(0, maxFinished)
        self.maxAge = maxAge.isFinite ? max(0, maxAge) : 60
    }
}

/// The one source of truth about tasks: every record, their versions, counts by state, and
/// the finished ones kept for a while. Confined to the loop thread.
final class TaskRegistry {
    private var table = TaskTable()
    /// Records in the order they were added (this array owns them); evicted ones are
    /// skipped and compacted away.
    private var order: [TaskRecord] = []
    private var evictedInOrder = 0
    /// Finished records, oldest first, waiting for the retention policy to drop them.
    private var finished: Deque<TaskRecord> = []
    /// Ids removed, with the version of their removal, so deltas can report them.
    private var removedLog: Deque<(version: UInt64, id: TaskID)> = []
    private var removedHorizon: UInt64 = 0
    private static let removedLogLimit = 200_000

    private(set) var version: UInt64 = 0
    private(set) var counts = [Int](repeating: 0, count: TaskStateKind.allCases.count)
    private(set) var totalSpawned: UInt64 = 0
    private(set) var droppedFinished: UInt64 = 0
    var retention: RetentionPolicy

    init(retention: RetentionPolicy) {
        self.retention = retention
    }

    deinit { table.deallocate() }

    /// The number of records held (live and retained finished tasks).
    var count: Int { table.count }

    @inline(__always)
    private func touch(_ record: TaskRecord) {
        version &+= 1
        record.version = version
    }

    @inline(__always)
    func record(_ id: TaskID) -> TaskRecord? { table.find(id) }

    func insert(_ record: TaskRecord) {
        guard record.id != 0, table.insert(record.id, record) else { return }
        order.append(record)
        counts[Self.index(record.state)] += 1
        totalSpawned &+= 1
        touch(record)
    }

    @inline(__always)
    private static func index(_ kind: TaskStateKind) -> Int {
        switch kind {
        case .pending: 0
        case .running: 1
        case .suspended: 2
        case .done: 3
        case .failed: 4
        case .cancelled: 5
        }
    }

    private func move(_ record: TaskRecord, to kind: TaskStateKind) {
        counts[Self.index(record.state)] -= 1
        counts[Self.index(kind)] += 1
        record.state = kind
    }

    /// A step of the task starts now.
    @inline(__always)
    func beginStep(_ record: TaskRecord, at now: Nanos, latency: Nanos) {
        if record.steps == 0 { record.startedAt = now }
        move(record, to: .running)
        record.stateSince = now
        record.steps &+= 1
        record.lastLatency = latency
        if latency > record.maxLatency { record.maxLatency = latency }
        touch(record)
    }

    /// The step that began at `now - duration` returned. Unless the task finished in it,
    /// it is now suspended on what it said it waits on (or on something unknown).
    @inline(__always)
    func endStep(_ record: TaskRecord, duration: Nanos, at now: Nanos, pendingWait: WaitTarget?) {
        record.busy &+= duration
        record.lastStep = duration
        if duration > record.maxStep { record.maxStep = duration }
        if record.state == .running {
            let wait = pendingWait ?? .unknown
            if record.waitSince == 0 || record.wait != wait {
                record.rememberWait()
                record.wait = wait
                record.waitSince = now
            }
            move(record, to: .suspended)
            record.stateSince = now
        }
        touch(record)
    }

    /// The task ended. Records the final state and the outcome of a pending cancellation.
    func finish(_ record: TaskRecord, _ state: TaskState, at now: Nanos) {
        guard !record.isFinished else { return }
        record.rememberWait()
        move(record, to: state.kind)
        record.finishedAt = now
        record.stateSince = now
        switch state {
        case .done(nil):
            if var cancel = record.cancel { cancel.outcome = .swallowed; record.cancel = cancel }
        default:
            let extras = record.ensureExtras
            extras.finalState = state
            if var cancel = extras.cancel {
                switch state.kind {
                case .cancelled: cancel.outcome = .cancelled
                case .failed: cancel.outcome = .failedInstead
                default: cancel.outcome = .swallowed
                }
                extras.cancel = cancel
            }
        }
        touch(record)
        finished.append(record)
        evict(now: now)
    }

    /// Somebody asked the task to stop. The first request is kept; later ones only refresh the time.
    func noteCancelRequested(_ record: TaskRecord, by requester: CancelRequester, message: String?, at now: Nanos) {
        guard !record.isFinished, record.cancel == nil else { return }
        record.cancel = CancelInfo(requestedBy: requester, message: message, requestedAt: now)
        record.remember(Transition(at: now, state: record.state, detail: "cancel requested by \(requester)"))
        touch(record)
    }

    /// An await of the task threw `CancellationError`.
    func noteCancelDelivered(_ record: TaskRecord, in place: String, at now: Nanos) {
        guard var cancel = record.cancel, cancel.deliveredAt == nil else { return }
        cancel.deliveredAt = now
        cancel.deliveredIn = place
        record.cancel = cancel
        touch(record)
    }

    /// Drops finished records beyond the retention policy.
    func evict(now: Nanos) {
        let maxAge = retention.maxAge.asNanos
        while let oldest = finished.first,
              finished.count > retention.maxFinished || now &- oldest.finishedAt > maxAge {
            finished.removeFirst()
            remove(oldest)
        }
    }

    private func remove(_ record: TaskRecord) {
        table.remove(record.id)
        record.evicted = true
        record.detach()
        counts[Self.index(record.state)] -= 1
        droppedFinished &+= 1
        version &+= 1
        removedLog.append((version, record.id))
        if removedLog.count > Self.removedLogLimit {
            removedHorizon = removedLog.removeFirst().version
        }
        evictedInOrder += 1
        if evictedInOrder > 1024, evictedInOrder * 2 > order.count {
            order.removeAll { $0.evicted }
            evictedInOrder = 0
        }
    }

    /// Every record still in the registry, in the order they were added.
    func forEachRecord(_ body: (TaskRecord) -> Void) {
        for record in order where !record.evicted { body(record) }
    }

    func countsByState() -> [TaskStateKind: Int] {
        var result: [TaskStateKind: Int] = [:]
        for kind in TaskStateKind.allCases { result[kind] = counts[Self.index(kind)] }
        return result
    }

    /// Task values of every record (or only those changed after `version`), ordered by id.
    func infos(changedAfter since: UInt64 = 0, executor: String, includeFinished: Bool = true) -> [TaskInfo] {
        var result: [TaskInfo] = []
        result.reserveCapacity(since == 0 ? table.count : 64)
        var sorted = true
        var last: TaskID = 0
        for record in order where !record.evicted && record.version > since {
            if !includeFinished && record.isFinished { continue }
            if record.id < last { sorted = false }
            last = record.id
            result.append(record.info(executor: executor))
        }
        if !sorted { result.sort { $0.id < $1.id } }
        return result
    }

    /// Ids removed after `since`, or nil when the log no longer reaches back that far.
    func removed(after since: UInt64) -> [TaskID]? {
        if since < removedHorizon { return nil }
        var ids: [TaskID] = []
        for entry in removedLog.reversed() {
            if entry.version <= since { break }
            ids.append(entry.id)
        }
        return ids
    }

    /// Forgets everything (the loop closed). Breaks the record ↔ handle cycles.
    func removeAll() {
        for record in order { record.detach() }
        table.deallocate()
        table = TaskTable()
        order.removeAll()
        finished.removeAll()
    }
}

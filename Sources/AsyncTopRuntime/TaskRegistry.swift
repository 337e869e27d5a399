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

/// A record's place in the registry.
typealias Slot = Int32

/// The one source of truth about tasks: every record, their versions, counts by state, and
/// the finished ones kept for a while. Confined to the loop thread.
///
/// Records are values in one growing buffer of slots, in the order they were added; a table
/// maps task ids to slots. Dropped records leave holes (id 0) that a compaction closes once
/// they are half of the buffer, keeping the order.
final class TaskRegistry {
    private var slots: UnsafeMutablePointer<TaskRecord>
    private var capacity: Int
    /// Slots used so far (the initialized prefix of `slots`), holes included.
    private var used = 0
    private var holes = 0
    private var table = TaskTable()
    /// Ids of finished tasks, oldest first, waiting for the retention policy to drop them.
    private var finished: Deque<TaskID> = []
    /// Ids removed, with the version of their removal, so deltas can report them.
    private var removedLog: Deque<(version: UInt64, id: TaskID)> = []
    private var removedHorizon: UInt64 = 0
    private static let removedLogLimit = 200_000

    /// The slots changed since `changedMark`, each once, in the order of their first change:
    /// what a delta from `changedMark` (the last delta's version, the monitor's next
    /// request) reads instead of every record. Invalid once it overflows or a compaction
    /// moved the records: the next delta scans them all.
    private var changedLog: [Slot] = []
    private var changedLogValid = true
    private var changedMark: UInt64 = 0
    private static let changedLogLimit = 1 << 16

    /// Spawn sites of the records.
    var sites = SiteTable()
    private(set) var version: UInt64 = 0
    /// Records by state, indexed by `index(_:)`.
    private let counts = UnsafeMutablePointer<Int>.allocate(capacity: 6)
    private(set) var totalSpawned: UInt64 = 0
    private(set) var droppedFinished: UInt64 = 0
    var retention: RetentionPolicy

    init(retention: RetentionPolicy) {
        self.retention = retention
        capacity = 1024
        slots = .allocate(capacity: capacity)
        counts.initialize(repeating: 0, count: 6)
    }

    deinit {
        releaseObjects()
        freeRecordBuffers()
        slots.deinitialize(count: used)
        slots.deallocate()
        table.deallocate()
        counts.deallocate()
    }

    /// The number of records held (live and retained finished tasks).
    var count: Int { table.count }

    /// The record in `slot`, for reading and writing in place.
    @inline(__always)
    subscript(slot: Slot) -> TaskRecord {
        _read { yield slots[Int(slot)] }
        _modify { yield &slots[Int(slot)] }
    }

    @inline(__always)
    func slot(of id: TaskID) -> Slot? { table.find(id) }

    @inline(__always)
    private func touch(_ slot: Slot) {
        let first = slots[Int(slot)].version <= changedMark
        version &+= 1
        slots[Int(slot)].version = version
        if first { logChange(slot) }
    }

    /// Notes the first change of `slot` since the mark.
    private func logChange(_ slot: Slot) {
        guard changedLogValid else { return }
        if changedLog.count < Self.changedLogLimit {
            changedLog.append(slot)
        } else {
            changedLogValid = false
            changedLog = []
        }
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

    /// Adds a record under its (nonzero) id; returns its slot, or the existing one's.
    @discardableResult
    func insert(_ record: TaskRecord) -> Slot {
        if let existing = table.find(record.id) { return existing }
        let slot = reserve(record)
        activate(slot, id: record.id)
        return slot
    }

    /// Stores a record whose id is not known yet (a spawn, before the runtime enqueued the
    /// task); ``activate(_:id:)`` files it once the id is known, before anything else runs.
    func reserve(_ record: TaskRecord) -> Slot {
        if used == capacity { grow() }
        (slots + used).initialize(to: record)
        used += 1
        return Slot(used - 1)
    }

    func activate(_ slot: Slot, id: TaskID) {
        let record = slots + Int(slot)
        record.pointee.id = id
        table.insert(id, slot)
        counts[Self.index(record.pointee.state)] += 1
        totalSpawned &+= 1
        touch(slot)
    }

    private func grow() {
        let bigger = UnsafeMutablePointer<TaskRecord>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: slots, count: used)
        slots.deallocate()
        slots = bigger
        capacity *= 2
    }

    private func move(_ slot: Slot, to kind: TaskStateKind) {
        let record = slots + Int(slot)
        counts[Self.index(record.pointee.state)] -= 1
        counts[Self.index(kind)] += 1
        record.pointee.state = kind
    }

    /// A step of the task starts now.
    @inline(__always)
    func beginStep(_ slot: Slot, at now: Nanos, latency: Nanos) {
        let record = slots + Int(slot)
        if record.pointee.steps == 0 {
            record.pointee.startedAt = now
        } else {
            record.pointee.rememberCurrentState()
            if record.pointee.histograms == nil { startHistograms(record) }
        }
        move(slot, to: .running)
        record.pointee.stateSince = now
        record.pointee.steps &+= 1
        let ticks = TaskRecord.ticks(latency)
        record.pointee.lastLatency = ticks
        if ticks > record.pointee.maxLatency { record.pointee.maxLatency = ticks }
        record.pointee.histograms?.recordLatency(latency)
        touch(slot)
    }

    /// The step that began at `now - duration` returned. Unless the task finished in it,
    /// it is now suspended on what it said it waits on (or on something unknown).
    @inline(__always)
    func endStep(_ slot: Slot, duration: Nanos, at now: Nanos, pendingWait: PackedWait?) {
        let record = slots + Int(slot)
        guard record.pointee.id != 0 else { return }  // it finished and was dropped during the step
        record.pointee.busy &+= duration
        record.pointee.histograms?.recordStep(duration)
        let ticks = TaskRecord.ticks(duration)
        record.pointee.lastStep = ticks
        if ticks > record.pointee.maxStep { record.pointee.maxStep = ticks }
        if record.pointee.state == .running {
            record.pointee.rememberCurrentState()
            record.pointee.wait = pendingWait ?? .unknown
            move(slot, to: .suspended)
            record.pointee.stateSince = now
        }
        touch(slot)
    }

    /// A task's second step begins: its histograms start, with its first step (as the
    /// record kept it, to 16 ns) in them.
    private func startHistograms(_ record: UnsafeMutablePointer<TaskRecord>) {
        let histograms = TaskHistograms()
        if record.pointee.steps == 1 {
            histograms.recordStep(TaskRecord.nanos(record.pointee.lastStep))
            histograms.recordLatency(TaskRecord.nanos(record.pointee.lastLatency))
        }
        record.pointee.histograms = histograms
    }

    /// The task ended. Records the final state and the outcome of a pending cancellation.
    func finish(_ slot: Slot, _ state: TaskState, at now: Nanos) {
        let record = slots + Int(slot)
        guard !record.pointee.isFinished else { return }
        record.pointee.rememberCurrentState()
        move(slot, to: state.kind)
        record.pointee.stateSince = now
        if case .done(nil) = state {
            if var cancel = record.pointee.cancel {
                cancel.outcome = .swallowed
                record.pointee.cancel = cancel
            }
        } else {
            let extras = record.pointee.ensureExtras
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
        touch(slot)
        finished.append(record.pointee.id)
        // Evicting in batches walks the oldest records in the order they were stored, which
        // the memory system prefetches; one at a time, each was a cold miss of its own.
        if finished.count > retention.maxFinished + Self.evictionBatch { evict(now: now) }
    }

    /// How far past `maxFinished` the finished records may grow before a batch is dropped.
    static let evictionBatch = 1024

    /// Somebody asked the task to stop. The first request is kept; the timeline shows it
    /// from the `CancelInfo`, so nothing is formatted here.
    /// A stack captured in the task's current suspension.
    func noteStack(_ slot: Slot, _ stack: TaskStack) {
        slots[Int(slot)].ensureExtras.stack = stack
        touch(slot)
    }

    /// A native task's own name, read from inside it.
    func noteName(_ slot: Slot, _ name: String) {
        guard slots[Int(slot)].name == nil else { return }
        slots[Int(slot)].name = name
        touch(slot)
    }

    func noteCancelRequested(_ id: TaskID, by requester: CancelRequester, message: String?, at now: Nanos) {
        guard let slot = table.find(id) else { return }
        let record = slots + Int(slot)
        guard !record.pointee.isFinished, record.pointee.cancel == nil else { return }
        record.pointee.cancel = CancelInfo(requestedBy: requester, message: message, requestedAt: now)
        touch(slot)
    }

    /// Someone took the error of the failed task `id`.
    func noteRetrieved(_ id: TaskID, at now: Nanos) {
        guard let slot = table.find(id) else { return }
        let extras = slots[Int(slot)].ensureExtras
        guard extras.retrievedAt == nil else { return }
        extras.retrievedAt = now
        touch(slot)
    }

    /// The task `id` is awaited through `shield` by `awaiter`.
    func noteShielded(_ id: TaskID, by awaiter: TaskID) {
        guard let slot = table.find(id) else { return }
        let extras = slots[Int(slot)].ensureExtras
        guard !extras.shieldedBy.contains(awaiter), extras.shieldedBy.count < TaskRecord.shieldersLimit else { return }
        extras.shieldedBy.append(awaiter)
        touch(slot)
    }

    /// A time-out awaiting the task `id` cancels it at `deadline` (the earliest one counts).
    func noteDeadline(_ id: TaskID, _ deadline: Nanos) {
        guard let slot = table.find(id) else { return }
        let extras = slots[Int(slot)].ensureExtras
        guard extras.deadline.map({ deadline < $0 }) ?? true else { return }
        extras.deadline = deadline
        touch(slot)
    }

    /// An await of the task threw `CancellationError`.
    func noteCancelDelivered(_ slot: Slot, in place: String, at now: Nanos) {
        let record = slots + Int(slot)
        guard var cancel = record.pointee.cancel, cancel.deliveredAt == nil else { return }
        cancel.deliveredAt = now
        cancel.deliveredIn = place
        record.pointee.cancel = cancel
        touch(slot)
    }

    /// Drops finished records beyond the retention policy.
    func evict(now: Nanos) {
        let maxAge = retention.maxAge.asNanos
        while let oldest = finished.first, let slot = table.find(oldest),
              finished.count > retention.maxFinished || now &- slots[Int(slot)].stateSince > maxAge {
            finished.removeFirst()
            remove(slot)
        }
    }

    /// Closes the holes once they are half the buffer. Only between steps: it moves records,
    /// and a running step holds its record's slot.
    func compactIfWorthIt() {
        if holes > 1024, holes * 2 > used { compact() }
    }

    /// Closes the holes, keeping the order of the records.
    private func compact() {
        var kept = 0
        for index in 0..<used {
            let source = slots + index
            if source.pointee.id == 0 {
                source.deinitialize(count: 1)
                continue
            }
            if index != kept {
                (slots + kept).moveInitialize(from: source, count: 1)
                table.update(slots[kept].id, to: Slot(kept))
                slots[kept].box?.slot = Slot(kept)
            }
            kept += 1
        }
        used = kept
        holes = 0
        // The log's slots moved.
        changedLogValid = false
        changedLog = []
    }

    private func remove(_ slot: Slot) {
        let record = slots + Int(slot)
        let id = record.pointee.id
        table.remove(id)
        counts[Self.index(record.pointee.state)] -= 1
        // Release what the record holds now; the slot keeps the rest until it is reused.
        record.pointee.id = 0
        record.pointee.box = nil
        if let object = record.pointee.object {
            // Possibly during the task's own step: released after it (`releaseDeferred`).
            deferredReleases.append(object)
            record.pointee.object = nil
        }
        record.pointee.name = nil
        record.pointee.history.free()
        record.pointee.extras = nil
        record.pointee.info = nil
        if let histograms = record.pointee.histograms {
            histograms.deallocate()
            record.pointee.histograms = nil
        }
        record.pointee.wait = .unknown
        holes += 1
        droppedFinished &+= 1
        version &+= 1
        removedLog.append((version, id))
        if removedLog.count > Self.removedLogLimit {
            removedHorizon = removedLog.removeFirst().version
        }
    }

    /// Task objects of removed records, to release once the step that runs ends.
    private(set) var deferredReleases: [UnsafeMutableRawPointer] = []

    /// Releases the task objects of records removed during the last step.
    func releaseDeferred() {
        for object in deferredReleases { RuntimeInternals.release(taskObject: object) }
        deferredReleases.removeAll(keepingCapacity: true)
    }

    /// Frees the records' histories and histograms (before the records go).
    private func freeRecordBuffers() {
        for index in 0..<used {
            slots[index].history.free()
            if let histograms = slots[index].histograms {
                histograms.deallocate()
                slots[index].histograms = nil
            }
        }
    }

    private func releaseObjects() {
        for index in 0..<used {
            if let object = slots[index].object {
                slots[index].object = nil
                RuntimeInternals.release(taskObject: object)
            }
        }
        releaseDeferred()
    }

    /// Every record still in the registry, in the order they were added.
    func forEachSlot(_ body: (Slot) -> Void) {
        for index in 0..<used where slots[index].id != 0 { body(Slot(index)) }
    }

    func countsByState() -> [TaskStateKind: Int] {
        var result: [TaskStateKind: Int] = [:]
        for kind in TaskStateKind.allCases { result[kind] = counts[Self.index(kind)] }
        return result
    }

    /// Task values of every record (or only those changed after `version`), ordered by id.
    func infos(changedAfter since: UInt64 = 0, executor: String, includeFinished: Bool = true) -> [TaskInfo] {
        guard since > 0 else { return scan(changedAfter: since, executor: executor, includeFinished: includeFinished) }
        defer {
            // The next delta is most likely asked from here.
            changedMark = version
            changedLog.removeAll(keepingCapacity: changedLog.count <= 4096)
            changedLogValid = true
        }
        guard since == changedMark, changedLogValid else {
            return scan(changedAfter: since, executor: executor, includeFinished: includeFinished)
        }
        var result: [TaskInfo] = []
        result.reserveCapacity(changedLog.count)
        for slot in changedLog where Int(slot) < used {
            let record = slots + Int(slot)
            guard record.pointee.id != 0, record.pointee.version > since else { continue }
            if !includeFinished && record.pointee.isFinished { continue }
            result.append(record.pointee.snapshot(executor: executor, sites: sites))
        }
        result.sort { $0.id < $1.id }
        return result
    }

    /// ``infos(changedAfter:executor:includeFinished:)`` by reading every record.
    private func scan(changedAfter since: UInt64, executor: String, includeFinished: Bool) -> [TaskInfo] {
        var result: [TaskInfo] = []
        result.reserveCapacity(since == 0 ? table.count : 64)
        var sorted = true
        var last: TaskID = 0
        for index in 0..<used {
            let record = slots + index
            let id = record.pointee.id
            guard id != 0, record.pointee.version > since else { continue }
            if !includeFinished && record.pointee.isFinished { continue }
            if id < last { sorted = false }
            last = id
            result.append(record.pointee.snapshot(executor: executor, sites: sites))
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

    /// Forgets everything (the loop closed), releasing the handles and task objects the
    /// records hold.
    func removeAll() {
        releaseObjects()
        freeRecordBuffers()
        slots.deinitialize(count: used)
        used = 0
        holes = 0
        table.deallocate()
        table = TaskTable()
        finished.removeAll()
        // The log's slots are gone with the records.
        changedLogValid = false
        changedLog = []
    }
}

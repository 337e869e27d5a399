import Foundation

/// The binary form of a ``SnapshotDelta`` on the wire (protocol 2, docs/PROTOCOL.md):
/// a task the client has not seen goes whole, once; a task it has goes as its id and the
/// fields that changed from what the client holds, a history as the transitions added, a
/// histogram as the counts added.
///
/// Encoding needs what the client holds (the snapshot the delta leads from); decoding keeps
/// it in a ``DeltaDecoder``.
public enum DeltaCodec {
    /// The first byte of every binary delta: the encoding's own version.
    public static let format: UInt8 = 2

    /// Entry tags.
    static let newTask: UInt8 = 1
    static let changedTask: UInt8 = 2

    /// The bits of an entry's field mask, in the order the fields follow.
    /// What changes at every step first, so that a step's mask takes two bytes.
    enum Field: Int, CaseIterable {
        case version, stateSince, state, history, historyDropped, steps, busy, lastStep, maxStep, lastLatency
        case maxLatency, stepHistogram, latencyHistogram, stack, cancel, startedAt, finishedAt, retrievedAt, deadline
        case shieldedBy, parentID, name, origin, site, createdAt, executor, historyDroppedAfter

        var bit: UInt64 { 1 << UInt64(rawValue) }
        static let all: UInt64 = (1 << UInt64(allCases.count)) - 1
    }

    /// The values a new task is compared with: only what differs goes on the wire.
    static func blank(_ id: TaskID) -> TaskInfo {
        TaskInfo(id: id, name: nil, stateSince: 0)
    }

    /// The bytes of `delta` for a client that holds `base` (nil: nothing, and the delta must
    /// then be full). The tasks of `base` are looked up by id, so `base` is the snapshot
    /// `delta` leads from, and every entry of a task `base` lacks is sent whole.
    public static func encode(_ delta: SnapshotDelta, base: Snapshot?) -> [UInt8] {
        var w = ByteWriter(capacity: 64 + delta.changed.count * 48)
        w.u8(format)
        w.u8(delta.isFull ? 1 : 0)
        w.varint(delta.fromVersion)
        w.varint(delta.toVersion)
        w.varint(delta.takenAt)
        w.varint(UInt64(delta.removed.count))
        for id in delta.removed { w.varint(id) }
        w.varint(UInt64(delta.changed.count))
        let known = delta.isFull ? [] : base?.tasks ?? []
        for task in delta.changed {
            let i = known.partitionIndex(forID: task.id)
            if i < known.count && known[i].id == task.id {
                w.u8(changedTask)
                w.varint(task.id)
                encodeFields(task, from: known[i], toVersion: delta.toVersion, into: &w)
            } else {
                w.u8(newTask)
                w.varint(task.id)
                encodeFields(task, from: blank(task.id), toVersion: delta.toVersion, into: &w)
            }
        }
        // The loop's counters: a small object, in JSON, every time.
        w.json(delta.stats)
        // The executors in JSON when they changed; the resources that changed.
        if let base, !delta.isFull, base.executors == delta.executors {
            w.u8(0)
        } else {
            w.u8(1)
            w.json(delta.executors)
        }
        encodeResources(delta.resources, from: delta.isFull ? nil : base?.resources, into: &w)
        return w.bytes
    }

    /// Every resource in order, each as its id and a flag: the same as the client's (0) or
    /// whole (1); or only 0 when the list is the same as the client's.
    static func encodeResources(_ new: [ResourceInfo], from old: [ResourceInfo]?, into w: inout ByteWriter) {
        if let old, new == old { return w.u8(0) }
        w.u8(1)
        let held = Dictionary((old ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        w.varint(UInt64(new.count))
        for resource in new {
            w.varint(resource.id)
            if held[resource.id] == resource {
                w.u8(0)
                continue
            }
            w.u8(1)
            w.string(resource.kind)
            w.optString(resource.name)
            w.varint(UInt64(resource.holders.count))
            for id in resource.holders { w.varint(id) }
            w.varint(UInt64(resource.waiters.count))
            for id in resource.waiters { w.varint(id) }
            w.string(resource.detail)
        }
    }

    static func encodeFields(_ t: TaskInfo, from b: TaskInfo, toVersion: UInt64, into w: inout ByteWriter) {
        var mask: UInt64 = 0
        if t.version != b.version { mask |= Field.version.bit }
        if t.parentID != b.parentID { mask |= Field.parentID.bit }
        if t.name != b.name { mask |= Field.name.bit }
        if t.origin != b.origin { mask |= Field.origin.bit }
        if t.site != b.site { mask |= Field.site.bit }
        if t.state != b.state { mask |= Field.state.bit }
        if t.cancel != b.cancel { mask |= Field.cancel.bit }
        if t.history != b.history { mask |= Field.history.bit }
        if t.historyDropped != b.historyDropped { mask |= Field.historyDropped.bit }
        if t.historyDroppedAfter != b.historyDroppedAfter { mask |= Field.historyDroppedAfter.bit }
        if t.createdAt != b.createdAt { mask |= Field.createdAt.bit }
        if t.startedAt != b.startedAt { mask |= Field.startedAt.bit }
        if t.stateSince != b.stateSince { mask |= Field.stateSince.bit }
        if t.finishedAt != b.finishedAt { mask |= Field.finishedAt.bit }
        if t.steps != b.steps { mask |= Field.steps.bit }
        if t.busy != b.busy { mask |= Field.busy.bit }
        if t.lastStep != b.lastStep { mask |= Field.lastStep.bit }
        if t.maxStep != b.maxStep { mask |= Field.maxStep.bit }
        if t.lastLatency != b.lastLatency { mask |= Field.lastLatency.bit }
        if t.maxLatency != b.maxLatency { mask |= Field.maxLatency.bit }
        if t.executor != b.executor { mask |= Field.executor.bit }
        if t.retrievedAt != b.retrievedAt { mask |= Field.retrievedAt.bit }
        if t.shieldedBy != b.shieldedBy { mask |= Field.shieldedBy.bit }
        if t.stack != b.stack { mask |= Field.stack.bit }
        if t.stepHistogram != b.stepHistogram { mask |= Field.stepHistogram.bit }
        if t.latencyHistogram != b.latencyHistogram { mask |= Field.latencyHistogram.bit }
        if t.deadline != b.deadline { mask |= Field.deadline.bit }
        w.varint(mask)
        @inline(__always) func has(_ f: Field) -> Bool { mask & f.bit != 0 }
        if has(.version) { w.varint(toVersion &- t.version) }
        if has(.stateSince) { w.change(t.stateSince, from: b.stateSince) }
        if has(.state) { encodeState(t.state, since: t.stateSince, into: &w) }
        if has(.history) { encodeHistory(t.history, from: b, into: &w) }
        if has(.historyDropped) { w.int(t.historyDropped &- b.historyDropped) }
        if has(.steps) { w.change(t.steps, from: b.steps) }
        if has(.busy) { w.change(t.busy, from: b.busy) }
        // One step more: the last step is what the busy time grew by.
        if has(.lastStep) { w.change(t.lastStep, from: t.busy &- b.busy) }
        if has(.maxStep) { w.change(t.maxStep, from: b.maxStep) }
        if has(.lastLatency) { w.change(t.lastLatency, from: b.lastLatency) }
        if has(.maxLatency) { w.change(t.maxLatency, from: b.maxLatency) }
        if has(.stepHistogram) { encodeHistogram(t.stepHistogram, from: b.stepHistogram, added: t.busy &- b.busy, into: &w) }
        if has(.latencyHistogram) { encodeHistogram(t.latencyHistogram, from: b.latencyHistogram, added: t.lastLatency, into: &w) }
        if has(.stack) { w.optional(t.stack) { encodeStack($1, into: &$0) } }
        if has(.cancel) { w.optional(t.cancel) { encodeCancel($1, into: &$0) } }
        if has(.startedAt) { w.optVarint(t.startedAt) }
        if has(.finishedAt) { w.optVarint(t.finishedAt) }
        if has(.retrievedAt) { w.optVarint(t.retrievedAt) }
        if has(.deadline) { w.optVarint(t.deadline) }
        if has(.shieldedBy) {
            w.optional(t.shieldedBy) { w, ids in
                w.varint(UInt64(ids.count))
                for id in ids { w.varint(id) }
            }
        }
        if has(.parentID) { w.optVarint(t.parentID) }
        if has(.name) { w.optString(t.name) }
        if has(.origin) { w.u8(originCode(t.origin)) }
        if has(.site) { w.optString(t.site) }
        if has(.createdAt) { w.change(t.createdAt, from: b.createdAt) }
        if has(.executor) { w.string(t.executor) }
        if has(.historyDroppedAfter) { w.optInt(t.historyDroppedAfter) }
    }

    // MARK: Parts

    static let origins: [TaskOrigin] = [.spawned, .native, .asyncLet, .groupChild, .main, .unstructured, .detached]
    /// The codes are the positions in `origins`, `outcomes` and `kinds`; the switches make
    /// a new case a compile error here rather than a crash.
    static func originCode(_ origin: TaskOrigin) -> UInt8 {
        switch origin {
        case .spawned: 0
        case .native: 1
        case .asyncLet: 2
        case .groupChild: 3
        case .main: 4
        case .unstructured: 5
        case .detached: 6
        }
    }

    static func outcomeCode(_ outcome: CancelOutcome) -> UInt8 {
        switch outcome {
        case .pending: 0
        case .cancelled: 1
        case .swallowed: 2
        case .failedInstead: 3
        }
    }

    static func kindCode(_ kind: TaskStateKind) -> UInt8 {
        switch kind {
        case .pending: 0
        case .running: 1
        case .suspended: 2
        case .done: 3
        case .failed: 4
        case .cancelled: 5
        }
    }
    static let kinds: [TaskStateKind] = [.pending, .running, .suspended, .done, .failed, .cancelled]
    static let outcomes: [CancelOutcome] = [.pending, .cancelled, .swallowed, .failedInstead]

    /// A sleep's deadline as a change from when the state began (`since`).
    static func encodeState(_ state: TaskState, since: Nanos, into w: inout ByteWriter) {
        switch state {
        case .pending: w.u8(0)
        case .running: w.u8(1)
        case .suspended(let on):
            w.u8(2)
            encodeWait(on, since: since, into: &w)
        case .done(let result):
            w.u8(3)
            w.optString(result)
        case .failed(let error):
            w.u8(4)
            w.string(error)
        case .cancelled(let message):
            w.u8(5)
            w.optString(message)
        }
    }

    static func encodeWait(_ wait: WaitTarget, since: Nanos, into w: inout ByteWriter) {
        switch wait {
        case .unknown: w.u8(0)
        case .ready: w.u8(1)
        case .sleep(let until):
            w.u8(2)
            w.change(until, from: since)
        case .task(let id):
            w.u8(3)
            w.varint(id)
        case .children(let count):
            w.u8(4)
            w.int(count)
        case .resource(let kind, let id, let name):
            w.u8(5)
            w.string(kind)
            w.varint(id)
            w.optString(name)
        case .workItem(let executor, let item):
            w.u8(6)
            w.string(executor)
            w.varint(item)
        case .other(let text):
            w.u8(7)
            w.string(text)
        }
    }

    static func encodeCancel(_ c: CancelInfo, into w: inout ByteWriter) {
        switch c.requestedBy {
        case .task(let id):
            w.u8(0)
            w.varint(id)
        case .thread(let name):
            w.u8(1)
            w.string(name)
        case .dashboard: w.u8(2)
        case .loopShutdown: w.u8(3)
        case .combinator(let what, let task):
            w.u8(4)
            w.string(what)
            w.optVarint(task)
        }
        w.optString(c.message)
        w.varint(c.requestedAt)
        w.optVarint(c.deliveredAt)
        w.optString(c.deliveredIn)
        w.u8(outcomeCode(c.outcome))
    }

    /// `at` as the change from the transition before (the first: from `reference`); the
    /// detail absent (0), given (1), or the same as `sameAs` (2): a suspension recorded in
    /// the history says what the state the client holds said.
    static func encodeTransitions(_ ts: ArraySlice<Transition>, reference: Nanos, sameAs: String?, into w: inout ByteWriter) {
        var previous = reference
        for t in ts {
            w.change(t.at, from: previous)
            previous = t.at
            w.u8(kindCode(t.state))
            if let detail = t.detail {
                if detail == sameAs {
                    w.u8(2)
                } else {
                    w.u8(1)
                    w.string(detail)
                }
            } else {
                w.u8(0)
            }
        }
    }

    /// Whole (0, count, transitions) or as an edit of the client's (1): keep the first
    /// `kept`, skip `skipped`, keep the rest, then append — which is what a bounded history
    /// that keeps its first and latest transitions does as it grows.
    static func encodeHistory(_ new: [Transition], from base: TaskInfo, into w: inout ByteWriter) {
        let old = base.history
        let sameAs = base.state.detail
        if !old.isEmpty, let (kept, skipped, appended) = historyEdit(from: old, to: new) {
            w.u8(1)
            w.varint(UInt64(kept))
            w.varint(UInt64(skipped))
            w.varint(UInt64(new.count - appended))
            encodeTransitions(new[appended...], reference: base.stateSince, sameAs: sameAs, into: &w)
        } else {
            w.u8(0)
            w.varint(UInt64(new.count))
            encodeTransitions(new[...], reference: base.stateSince, sameAs: sameAs, into: &w)
        }
    }

    /// `new` as `old[..<kept] + old[(kept + skipped)...] + new[appended...]`, with the fewest
    /// appended; nil when no such edit exists.
    static func historyEdit(from old: [Transition], to new: [Transition]) -> (kept: Int, skipped: Int, appended: Int)? {
        var kept = 0
        while kept < old.count && kept < new.count && old[kept] == new[kept] { kept += 1 }
        for skipped in 0...(old.count - kept) {
            let tail = old.count - kept - skipped
            guard kept + tail <= new.count else { continue }
            if old[(kept + skipped)...].elementsEqual(new[kept..<kept + tail]) {
                return (kept, skipped, kept + tail)
            }
        }
        return nil
    }

    static func encodeStack(_ s: TaskStack, into w: inout ByteWriter) {
        w.varint(UInt64(s.frames.count))
        for f in s.frames {
            w.string(f.function)
            w.optString(f.file)
            w.optInt(f.line)
            w.optInt(f.column)
            w.u8(f.runtime.map { $0 ? 2 : 1 } ?? 0)
            w.u8(f.inlined.map { $0 ? 2 : 1 } ?? 0)
        }
        w.varint(s.capturedAt)
        w.optString(s.problem)
    }

    /// Absent (0), whole (1: precision, offset, counts, sum, max), or the counts added to the
    /// client's (2: offset, counts added, then the changes of sum — from the client's plus
    /// `added`, what the sum most likely grew by (the busy time a step added) — and of max).
    static func encodeHistogram(_ new: DurationHistogram?, from old: DurationHistogram?, added: Nanos, into w: inout ByteWriter) {
        guard let new else { return w.u8(0) }
        if let old, !old.isEmpty, old.precision == new.precision, let grown = countsAdded(new, since: old) {
            w.u8(2)
            w.varint(UInt64(grown.offset))
            w.varint(UInt64(grown.counts.count))
            for c in grown.counts { w.varint(c) }
            w.change(new.sum, from: old.sum &+ added)
            w.change(new.max, from: old.max)
        } else {
            w.u8(1)
            w.u8(UInt8(new.precision))
            w.varint(UInt64(new.offset))
            w.varint(UInt64(new.counts.count))
            for c in new.counts { w.varint(c) }
            w.varint(new.sum)
            w.varint(new.max)
        }
    }

    /// The counts `new` has more than `old` per bucket, from the first bucket that grew to
    /// the last; nil when a bucket shrank.
    static func countsAdded(_ new: DurationHistogram, since old: DurationHistogram) -> (offset: Int, counts: [UInt64])? {
        let low = min(new.offset, old.offset)
        let high = max(new.offset + new.counts.count, old.offset + old.counts.count)
        var first = -1, last = -1
        for index in low..<high {
            let a = new.countInBucket(index), b = old.countInBucket(index)
            guard a >= b else { return nil }
            if a > b {
                if first < 0 { first = index }
                last = index
            }
        }
        guard first >= 0 else { return (0, []) }
        return (first, (first...last).map { new.countInBucket($0) - old.countInBucket($0) })
    }
}

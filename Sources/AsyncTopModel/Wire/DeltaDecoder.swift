import Foundation

/// Decodes binary deltas (``DeltaCodec``) of one connection, keeping the tasks the
/// client holds, which later deltas are relative to.
public struct DeltaDecoder: Sendable {
    /// The tasks held, by id.
    public private(set) var tasks: [TaskID: TaskInfo] = [:]
    /// The executors and resources held.
    public private(set) var executors: [ExecutorInfo] = []
    public private(set) var resources: [ResourceInfo] = []

    public init() {}

    /// Forgets everything held (a new connection).
    public mutating func reset() { self = DeltaDecoder() }

    /// The delta in `bytes`, with every changed task whole; the tasks held follow it.
    /// A malformed delta, or a change to a task never announced, throws and leaves the
    /// tasks held as they were.
    public mutating func decode(_ bytes: [UInt8]) throws(WireError) -> SnapshotDelta {
        var r = ByteReader(bytes)
        let format = try r.u8()
        guard format == DeltaCodec.format else { throw ByteReader.bad("format \(format), this asynctop reads \(DeltaCodec.format)") }
        let flags = try r.u8()
        guard flags <= 1 else { throw ByteReader.bad("flags \(flags)") }
        let isFull = flags == 1
        let fromVersion = try r.varint()
        let toVersion = try r.varint()
        let takenAt = try r.varint()
        var removed: [TaskID] = []
        let removedCount = try r.count()
        removed.reserveCapacity(removedCount)
        for _ in 0..<removedCount { removed.append(try r.varint()) }
        let changedCount = try r.count(minimumBytes: 3)
        var changed: [TaskInfo] = []
        changed.reserveCapacity(changedCount)
        for _ in 0..<changedCount {
            let tag = try r.u8()
            let id = try r.varint()
            let base: TaskInfo
            switch tag {
            case DeltaCodec.newTask: base = DeltaCodec.blank(id)
            case DeltaCodec.changedTask:
                guard !isFull, let known = tasks[id] else { throw ByteReader.bad("a change to task \(id), which was never announced") }
                base = known
            default: throw ByteReader.bad("entry tag \(tag)")
            }
            changed.append(try Self.decodeFields(id: id, from: base, toVersion: toVersion, &r))
        }
        let stats = try r.json(LoopStats.self, what: "counters")
        let executors: [ExecutorInfo]
        switch try r.u8() {
        case 0:
            guard !isFull else { throw ByteReader.bad("a full delta without executors") }
            executors = self.executors
        case 1: executors = try r.json([ExecutorInfo].self, what: "executors")
        case let other: throw ByteReader.bad("executors form \(other)")
        }
        let resources = try decodeResources(isFull: isFull, &r)
        guard r.isAtEnd else { throw ByteReader.bad("\(r.remaining) bytes after the end") }
        if isFull { tasks.removeAll(keepingCapacity: true) }
        for task in changed { tasks[task.id] = task }
        for id in removed { tasks[id] = nil }
        self.executors = executors
        self.resources = resources
        return SnapshotDelta(fromVersion: fromVersion, toVersion: toVersion, takenAt: takenAt, isFull: isFull,
                             changed: changed, removed: removed, stats: stats, executors: executors, resources: resources)
    }

    func decodeResources(isFull: Bool, _ r: inout ByteReader) throws(WireError) -> [ResourceInfo] {
        switch try r.u8() {
        case 0:
            guard !isFull else { throw ByteReader.bad("a full delta without resources") }
            return resources
        case 1:
            let held = isFull ? [:] : Dictionary(resources.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            let n = try r.count(minimumBytes: 2)
            var out: [ResourceInfo] = []
            out.reserveCapacity(n)
            for _ in 0..<n {
                let id = try r.varint()
                switch try r.u8() {
                case 0:
                    guard let known = held[id] else { throw ByteReader.bad("resource \(id) was never sent") }
                    out.append(known)
                case 1:
                    let kind = try r.string(), name = try r.optString()
                    var holders: [TaskID] = [], waiters: [TaskID] = []
                    let h = try r.count()
                    holders.reserveCapacity(h)
                    for _ in 0..<h { holders.append(try r.varint()) }
                    let k = try r.count()
                    waiters.reserveCapacity(k)
                    for _ in 0..<k { waiters.append(try r.varint()) }
                    out.append(ResourceInfo(id: id, kind: kind, name: name, holders: holders, waiters: waiters,
                                            detail: try r.string()))
                case let other: throw ByteReader.bad("resource form \(other)")
                }
            }
            return out
        case let other: throw ByteReader.bad("resources form \(other)")
        }
    }

    static func decodeFields(id: TaskID, from b: TaskInfo, toVersion: UInt64, _ r: inout ByteReader) throws(WireError) -> TaskInfo {
        let mask = try r.varint()
        guard mask & ~DeltaCodec.Field.all == 0 else { throw ByteReader.bad("unknown fields in mask \(mask)") }
        @inline(__always) func has(_ f: DeltaCodec.Field) -> Bool { mask & f.bit != 0 }
        let version = has(.version) ? toVersion &- (try r.varint()) : b.version
        let stateSince = has(.stateSince) ? try r.change(from: b.stateSince) : b.stateSince
        let state = has(.state) ? try decodeState(since: stateSince, &r) : b.state
        let history = has(.history) ? try decodeHistory(from: b, &r) : b.history
        let historyDropped = has(.historyDropped) ? b.historyDropped &+ (try r.int()) : b.historyDropped
        let steps = has(.steps) ? try r.change(from: b.steps) : b.steps
        let busy = has(.busy) ? try r.change(from: b.busy) : b.busy
        let lastStep = has(.lastStep) ? try r.change(from: busy &- b.busy) : b.lastStep
        let maxStep = has(.maxStep) ? try r.change(from: b.maxStep) : b.maxStep
        let lastLatency = has(.lastLatency) ? try r.change(from: b.lastLatency) : b.lastLatency
        let maxLatency = has(.maxLatency) ? try r.change(from: b.maxLatency) : b.maxLatency
        let stepHistogram = has(.stepHistogram) ? try decodeHistogram(from: b.stepHistogram, added: busy &- b.busy, &r) : b.stepHistogram
        let latencyHistogram = has(.latencyHistogram)
            ? try decodeHistogram(from: b.latencyHistogram, added: lastLatency, &r) : b.latencyHistogram
        let stack = has(.stack) ? (try r.present() ? try decodeStack(&r) : nil) : b.stack
        let cancel = has(.cancel) ? (try r.present() ? try decodeCancel(&r) : nil) : b.cancel
        let startedAt = has(.startedAt) ? try r.optVarint() : b.startedAt
        let finishedAt = has(.finishedAt) ? try r.optVarint() : b.finishedAt
        let retrievedAt = has(.retrievedAt) ? try r.optVarint() : b.retrievedAt
        let deadline = has(.deadline) ? try r.optVarint() : b.deadline
        var shieldedBy = b.shieldedBy
        if has(.shieldedBy) {
            if try r.present() {
                let n = try r.count()
                var ids: [TaskID] = []
                ids.reserveCapacity(n)
                for _ in 0..<n { ids.append(try r.varint()) }
                shieldedBy = ids
            } else {
                shieldedBy = nil
            }
        }
        let parentID = has(.parentID) ? try r.optVarint() : b.parentID
        let name = has(.name) ? try r.optString() : b.name
        let origin = has(.origin) ? try decodeOrigin(&r) : b.origin
        let site = has(.site) ? try r.optString() : b.site
        let createdAt = has(.createdAt) ? try r.change(from: b.createdAt) : b.createdAt
        let executor = has(.executor) ? try r.string() : b.executor
        let historyDroppedAfter = has(.historyDroppedAfter) ? try r.optInt() : b.historyDroppedAfter
        return TaskInfo(id: id, parentID: parentID, name: name, origin: origin, site: site, state: state, cancel: cancel,
                        history: history, historyDropped: historyDropped, historyDroppedAfter: historyDroppedAfter,
                        createdAt: createdAt, startedAt: startedAt, stateSince: stateSince, finishedAt: finishedAt,
                        steps: steps, busy: busy, lastStep: lastStep, maxStep: maxStep, lastLatency: lastLatency,
                        maxLatency: maxLatency, executor: executor, retrievedAt: retrievedAt, shieldedBy: shieldedBy,
                        stack: stack, stepHistogram: stepHistogram, latencyHistogram: latencyHistogram,
                        deadline: deadline, version: version)
    }

    static func decodeOrigin(_ r: inout ByteReader) throws(WireError) -> TaskOrigin {
        let code = Int(try r.u8())
        guard code < DeltaCodec.origins.count else { throw ByteReader.bad("origin \(code)") }
        return DeltaCodec.origins[code]
    }

    static func decodeKind(_ r: inout ByteReader) throws(WireError) -> TaskStateKind {
        let code = Int(try r.u8())
        guard code < DeltaCodec.kinds.count else { throw ByteReader.bad("state kind \(code)") }
        return DeltaCodec.kinds[code]
    }

    static func decodeState(since: Nanos, _ r: inout ByteReader) throws(WireError) -> TaskState {
        switch try r.u8() {
        case 0: return .pending
        case 1: return .running
        case 2: return .suspended(try decodeWait(since: since, &r))
        case 3: return .done(result: try r.optString())
        case 4: return .failed(error: try r.string())
        case 5: return .cancelled(message: try r.optString())
        case let other: throw ByteReader.bad("state \(other)")
        }
    }

    static func decodeWait(since: Nanos, _ r: inout ByteReader) throws(WireError) -> WaitTarget {
        switch try r.u8() {
        case 0: return .unknown
        case 1: return .ready
        case 2: return .sleep(until: try r.change(from: since))
        case 3: return .task(try r.varint())
        case 4: return .children(count: try r.int())
        case 5: return .resource(kind: try r.string(), id: try r.varint(), name: try r.optString())
        case 6: return .workItem(executor: try r.string(), item: try r.varint())
        case 7: return .other(try r.string())
        case let other: throw ByteReader.bad("wait \(other)")
        }
    }

    static func decodeCancel(_ r: inout ByteReader) throws(WireError) -> CancelInfo {
        let requester: CancelRequester
        switch try r.u8() {
        case 0: requester = .task(try r.varint())
        case 1: requester = .thread(try r.string())
        case 2: requester = .dashboard
        case 3: requester = .loopShutdown
        case 4: requester = .combinator(try r.string(), task: try r.optVarint())
        case let other: throw ByteReader.bad("cancel requester \(other)")
        }
        let message = try r.optString()
        let requestedAt = try r.varint()
        let deliveredAt = try r.optVarint()
        let deliveredIn = try r.optString()
        let outcome = Int(try r.u8())
        guard outcome < DeltaCodec.outcomes.count else { throw ByteReader.bad("cancel outcome \(outcome)") }
        return CancelInfo(requestedBy: requester, message: message, requestedAt: requestedAt, deliveredAt: deliveredAt,
                          deliveredIn: deliveredIn, outcome: DeltaCodec.outcomes[outcome])
    }

    static func decodeTransitions(_ n: Int, into out: inout [Transition], reference: Nanos, sameAs: String?,
                                  _ r: inout ByteReader) throws(WireError) {
        var previous = reference
        for _ in 0..<n {
            let at = try r.change(from: previous)
            previous = at
            let kind = try decodeKind(&r)
            let detail: String?
            switch try r.u8() {
            case 0: detail = nil
            case 1: detail = try r.string()
            case 2:
                guard let sameAs else { throw ByteReader.bad("a transition's detail refers to a state without one") }
                detail = sameAs
            case let other: throw ByteReader.bad("detail form \(other)")
            }
            out.append(Transition(at: at, state: kind, detail: detail))
        }
    }

    static func decodeHistory(from base: TaskInfo, _ r: inout ByteReader) throws(WireError) -> [Transition] {
        let old = base.history
        let sameAs = base.state.detail
        var out: [Transition] = []
        switch try r.u8() {
        case 0:
            let n = try r.count(minimumBytes: 3)
            out.reserveCapacity(n)
            try decodeTransitions(n, into: &out, reference: base.stateSince, sameAs: sameAs, &r)
        case 1:
            let kept = try r.varint(), skipped = try r.varint()
            guard kept <= UInt64(old.count), skipped <= UInt64(old.count) - kept else {
                throw ByteReader.bad("a history edit beyond the \(old.count) transitions held")
            }
            let n = try r.count(minimumBytes: 3)
            out.reserveCapacity(old.count - Int(skipped) + n)
            out += old[..<Int(kept)]
            out += old[Int(kept + skipped)...]
            try decodeTransitions(n, into: &out, reference: base.stateSince, sameAs: sameAs, &r)
        case let other: throw ByteReader.bad("history form \(other)")
        }
        return out
    }

    static func decodeStack(_ r: inout ByteReader) throws(WireError) -> TaskStack {
        let n = try r.count(minimumBytes: 5)
        var frames: [StackFrame] = []
        frames.reserveCapacity(n)
        for _ in 0..<n {
            var frame = StackFrame(function: try r.string(), file: try r.optString())
            frame.line = try r.optInt()
            frame.column = try r.optInt()
            frame.runtime = try decodeFlag(&r)
            frame.inlined = try decodeFlag(&r)
            frames.append(frame)
        }
        return TaskStack(frames: frames, capturedAt: try r.varint(), problem: try r.optString())
    }

    static func decodeFlag(_ r: inout ByteReader) throws(WireError) -> Bool? {
        switch try r.u8() {
        case 0: return nil
        case 1: return false
        case 2: return true
        case let other: throw ByteReader.bad("flag \(other)")
        }
    }

    static func decodeHistogram(from old: DurationHistogram?, added: Nanos, _ r: inout ByteReader) throws(WireError) -> DurationHistogram? {
        let form = try r.u8()
        switch form {
        case 0: return nil
        case 1, 2:
            let precision: Int
            if form == 1 {
                precision = Int(try r.u8())
                guard DurationHistogram.precisions.contains(precision) else { throw ByteReader.bad("histogram precision \(precision)") }
            } else {
                guard let old else { throw ByteReader.bad("counts added to a histogram never sent") }
                precision = old.precision
            }
            let buckets = DurationHistogram.bucketCount(precision: precision)
            let offset = try r.varint()
            let n = try r.count()
            guard offset <= UInt64(buckets), UInt64(n) <= UInt64(buckets) - offset else {
                throw ByteReader.bad("histogram buckets beyond \(buckets)")
            }
            var counts = [UInt64](repeating: 0, count: n)
            for i in 0..<n { counts[i] = try r.varint() }
            let sum = form == 2 ? try r.change(from: (old?.sum ?? 0) &+ added) : try r.varint()
            let max = form == 2 ? try r.change(from: old?.max ?? 0) : try r.varint()
            if form == 2, let old {
                // The client's counts plus those added, over both ranges.
                let low = min(old.offset, Int(offset)), high = Swift.max(old.offset + old.counts.count, Int(offset) + n)
                var merged = [UInt64](repeating: 0, count: high - low)
                for (i, c) in old.counts.enumerated() { merged[old.offset + i - low] = c }
                for (i, c) in counts.enumerated() {
                    let (total, overflow) = merged[Int(offset) + i - low].addingReportingOverflow(c)
                    guard !overflow else { throw ByteReader.bad("histogram count overflows") }
                    merged[Int(offset) + i - low] = total
                }
                return merged.withUnsafeBufferPointer {
                    DurationHistogram(precision: precision, offset: low, counts: $0, sum: sum, max: max)
                }
            }
            return counts.withUnsafeBufferPointer {
                DurationHistogram(precision: precision, offset: Int(offset), counts: $0, sum: sum, max: max)
            }
        default: throw ByteReader.bad("histogram form \(form)")
        }
    }
}

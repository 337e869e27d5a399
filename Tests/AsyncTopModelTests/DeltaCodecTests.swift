import AsyncTopModel
import Foundation
import Testing

// `SplitMix` (DurationHistogramTests.swift) as a generator for the standard library's
// random APIs, so that a failing case can be run again from its seed.
extension SplitMix: RandomNumberGenerator {}

/// Random model values, every field and every case reachable, with awkward strings and
/// numbers at their edges.
struct RandomModel {
    var rng: SplitMix

    mutating func bool() -> Bool { Bool.random(using: &rng) }
    mutating func pick<T>(_ values: [T]) -> T { values.randomElement(using: &rng)! }
    mutating func maybe<T>(_ make: (inout Self) -> T) -> T? { bool() ? make(&self) : nil }
    mutating func nanos() -> UInt64 {
        pick([0, 1, 127, 128, UInt64.max, UInt64.random(in: 0...10_000_000_000, using: &rng), UInt64.random(in: 0...UInt64.max, using: &rng)])
    }
    mutating func small() -> UInt64 { UInt64.random(in: 0...300, using: &rng) }
    mutating func int() -> Int { pick([0, -1, 1, Int.max, Int.min, Int.random(in: -1000...1000, using: &rng)]) }
    mutating func string() -> String {
        pick(["", "a", "sleep until 1.250s", "Lock db", "naïve ✓ 🧵", "line\nbreak \"quoted\" \\", String(repeating: "x", count: 300)])
    }

    mutating func wait() -> WaitTarget {
        switch Int.random(in: 0..<8, using: &rng) {
        case 0: .unknown
        case 1: .ready
        case 2: .sleep(until: nanos())
        case 3: .task(nanos())
        case 4: .children(count: int())
        case 5: .resource(kind: string(), id: nanos(), name: maybe { $0.string() })
        case 6: .workItem(executor: string(), item: nanos())
        default: .other(string())
        }
    }

    mutating func state() -> TaskState {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: .pending
        case 1: .running
        case 2: .suspended(wait())
        case 3: .done(result: maybe { $0.string() })
        case 4: .failed(error: string())
        default: .cancelled(message: maybe { $0.string() })
        }
    }

    mutating func cancel() -> CancelInfo {
        let requester: CancelRequester = switch Int.random(in: 0..<5, using: &rng) {
        case 0: .task(nanos())
        case 1: .thread(string())
        case 2: .dashboard
        case 3: .loopShutdown
        default: .combinator(string(), task: maybe { $0.nanos() })
        }
        return CancelInfo(requestedBy: requester, message: maybe { $0.string() }, requestedAt: nanos(),
                          deliveredAt: maybe { $0.nanos() }, deliveredIn: maybe { $0.string() },
                          outcome: pick([.pending, .cancelled, .swallowed, .failedInstead]))
    }

    mutating func transition() -> Transition {
        Transition(at: nanos(), state: pick(TaskStateKind.allCases), detail: maybe { $0.string() })
    }

    mutating func stack() -> TaskStack {
        let frames = (0..<Int.random(in: 0...4, using: &rng)).map { _ in
            var frame = StackFrame(function: string(), file: maybe { $0.string() }, line: maybe { $0.int() },
                                   column: maybe { $0.int() }, runtime: bool(), inlined: bool())
            // Values decoded from JSON may say false where ours leave the flag out.
            if bool() { frame.runtime = pick([nil, false, true]) }
            return frame
        }
        return TaskStack(frames: frames, capturedAt: nanos(), problem: maybe { $0.string() })
    }

    mutating func histogram(precision: Int? = nil) -> DurationHistogram {
        var h = DurationHistogram(precision: precision ?? Int.random(in: 0...4, using: &rng))
        for _ in 0..<Int.random(in: 0...20, using: &rng) {
            h.record(UInt64.random(in: 0...pick([100, 100_000, 10_000_000_000]), using: &rng), times: UInt64.random(in: 1...3, using: &rng))
        }
        return h
    }

    mutating func task(_ id: TaskID) -> TaskInfo {
        TaskInfo(id: id, parentID: maybe { $0.nanos() }, name: maybe { $0.string() },
                 origin: pick([.spawned, .native, .asyncLet, .groupChild, .main, .unstructured, .detached]),
                 site: maybe { $0.string() }, state: state(), cancel: maybe { $0.cancel() },
                 history: (0..<Int.random(in: 0...6, using: &rng)).map { _ in transition() },
                 historyDropped: Int.random(in: 0...5, using: &rng), historyDroppedAfter: maybe { $0.int() },
                 createdAt: nanos(), startedAt: maybe { $0.nanos() }, stateSince: nanos(), finishedAt: maybe { $0.nanos() },
                 steps: small(), busy: nanos(), lastStep: nanos(), maxStep: nanos(), lastLatency: nanos(), maxLatency: nanos(),
                 executor: pick(["loop", "cooperative pool", string()]), retrievedAt: maybe { $0.nanos() },
                 shieldedBy: maybe { r in (0..<Int.random(in: 0...3, using: &r.rng)).map { _ in r.nanos() } },
                 stack: maybe { $0.stack() }, stepHistogram: maybe { $0.histogram() }, latencyHistogram: maybe { $0.histogram() },
                 deadline: maybe { $0.nanos() }, version: nanos())
    }

    /// `old` as a loop changes a task: a few fields, the history grown (or cut as a bounded
    /// one is), histograms with more values; sometimes anything at all.
    mutating func changedTask(_ old: TaskInfo, toVersion: UInt64) -> TaskInfo {
        if Int.random(in: 0..<5, using: &rng) == 0 { return task(old.id) }
        var history = old.history
        if bool() {
            if !history.isEmpty && bool() { history.remove(at: Int.random(in: 0..<history.count, using: &rng)) }
            history += (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                Transition(at: old.stateSince, state: old.state.kind, detail: bool() ? old.state.detail : nil)
            }
        }
        func grown(_ h: DurationHistogram?) -> DurationHistogram? {
            guard var h, bool() else { return h }
            h.record(UInt64.random(in: 0...1_000_000, using: &rng))
            return h
        }
        let stepHistogram = grown(old.stepHistogram), latencyHistogram = grown(old.latencyHistogram)
        return TaskInfo(id: old.id, parentID: old.parentID, name: old.name, origin: old.origin, site: old.site,
                        state: bool() ? state() : old.state, cancel: bool() ? maybe { $0.cancel() } : old.cancel,
                        history: history, historyDropped: old.historyDropped + (bool() ? 1 : 0),
                        historyDroppedAfter: old.historyDroppedAfter, createdAt: old.createdAt, startedAt: old.startedAt,
                        stateSince: bool() ? old.stateSince &+ small() : old.stateSince, finishedAt: old.finishedAt,
                        steps: old.steps &+ small(), busy: old.busy &+ small(), lastStep: small(), maxStep: old.maxStep,
                        lastLatency: small(), maxLatency: old.maxLatency, executor: old.executor,
                        retrievedAt: old.retrievedAt, shieldedBy: old.shieldedBy, stack: bool() ? maybe { $0.stack() } : old.stack,
                        stepHistogram: stepHistogram, latencyHistogram: latencyHistogram, deadline: old.deadline,
                        version: bool() ? toVersion : UInt64.random(in: 0...toVersion, using: &rng))
    }

    mutating func resource(_ id: UInt64) -> ResourceInfo {
        ResourceInfo(id: id, kind: pick(["Lock", "Event", string()]), name: maybe { $0.string() },
                     holders: (0..<Int.random(in: 0...3, using: &rng)).map { _ in nanos() },
                     waiters: (0..<Int.random(in: 0...5, using: &rng)).map { _ in nanos() }, detail: string())
    }

    mutating func executors() -> [ExecutorInfo] {
        [ExecutorInfo(name: "loop", kind: .loop)] + (bool() ? [ExecutorInfo(name: string(), kind: .threads)] : [])
    }

    mutating func snapshot(tasks n: Int) -> Snapshot {
        var ids = Set<TaskID>()
        while ids.count < n { ids.insert(pick([UInt64.random(in: 1...1000, using: &rng), nanos()])) }
        return Snapshot(version: small(), takenAt: nanos(), stats: LoopStats(tasksByState: [.running: n], totalSteps: small()),
                        tasks: ids.sorted().map { task($0) }, executors: executors(),
                        resources: (0..<Int.random(in: 0...4, using: &rng)).map { resource(UInt64($0)) })
    }

    /// A delta from `old`: some tasks changed, some new, some removed, resources and
    /// executors changed or not.
    mutating func delta(from old: Snapshot) -> SnapshotDelta {
        let toVersion = old.version &+ 1 &+ small()
        var changed: [TaskInfo] = []
        var removed: [TaskID] = []
        for t in old.tasks {
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: changed.append(changedTask(t, toVersion: toVersion))
            case 1: removed.append(t.id)
            default: break
            }
        }
        let known = Set(old.tasks.map(\.id))
        for _ in 0..<Int.random(in: 0...4, using: &rng) {
            let id = UInt64.random(in: 1...2000, using: &rng)
            if !known.contains(id) && !changed.contains(where: { $0.id == id }) { changed.append(task(id)) }
        }
        changed.sort { $0.id < $1.id }
        var resources = old.resources
        if bool() { resources = resources.map { bool() ? resource($0.id) : $0 } }
        if bool() { resources.append(resource(UInt64(100 + resources.count))) }
        if bool() && !resources.isEmpty { resources.removeFirst() }
        return SnapshotDelta(fromVersion: old.version, toVersion: toVersion, takenAt: nanos(), isFull: false,
                             changed: changed, removed: removed, stats: LoopStats(totalSteps: small()),
                             executors: bool() ? old.executors : executors(), resources: resources)
    }
}

struct DeltaCodecTests {
    func expectSame(_ a: SnapshotDelta, _ b: SnapshotDelta, _ comment: Comment? = nil) {
        #expect(a.fromVersion == b.fromVersion && a.toVersion == b.toVersion && a.takenAt == b.takenAt && a.isFull == b.isFull, comment)
        #expect(a.changed == b.changed, comment)
        #expect(a.removed == b.removed && a.stats == b.stats && a.executors == b.executors && a.resources == b.resources, comment)
    }

    /// Random snapshots, then random deltas from each, through one decoder as a client
    /// would: every delta decodes to the one encoded, field by field, and applying them
    /// gives the server's picture.
    @Test(arguments: 0..<40)
    func randomDeltasRoundTrip(seed: UInt64) throws {
        var model = RandomModel(rng: SplitMix(seed: seed))
        var server = model.snapshot(tasks: Int.random(in: 0...30, using: &model.rng))
        var decoder = DeltaDecoder()
        let first = SnapshotDelta.full(server)
        let firstBack = try decoder.decode(DeltaCodec.encode(first, base: nil))
        expectSame(firstBack, first, "full, seed \(seed)")
        var client = Snapshot().applying(firstBack)
        for step in 0..<12 {
            let delta = model.delta(from: server)
            let next = server.applying(delta)
            let back = try decoder.decode(DeltaCodec.encode(delta, base: server))
            expectSame(back, delta, "seed \(seed) step \(step)")
            client = client.applying(back)
            server = next
            #expect(client.tasks == server.tasks && client.resources == server.resources, "seed \(seed) step \(step)")
            #expect(decoder.tasks.count == server.tasks.count)
        }
    }

    /// A delta between two snapshots (as a slow client gets) and a full one after that.
    @Test func betweenAndFullAgain() throws {
        var model = RandomModel(rng: SplitMix(seed: 99))
        let a = model.snapshot(tasks: 20)
        let b = a.applying(model.delta(from: a))
        let c = b.applying(model.delta(from: b))
        var decoder = DeltaDecoder()
        _ = try decoder.decode(DeltaCodec.encode(.full(a), base: nil))
        let between = SnapshotDelta.between(a, c)
        expectSame(try decoder.decode(DeltaCodec.encode(between, base: a)), between)
        let full = SnapshotDelta.full(b)
        expectSame(try decoder.decode(DeltaCodec.encode(full, base: c)), full)
        #expect(decoder.tasks.count == b.tasks.count)
    }

    /// A task that changed a little costs a few dozen bytes, not its whole record.
    @Test func aStepCostsFewBytes() throws {
        let hist = { (values: [UInt64]) -> DurationHistogram in
            var h = DurationHistogram(precision: 0)
            for v in values { h.record(v) }
            return h
        }
        let history: [Transition] = (0..<32).map { (i: Int) -> Transition in
            let at = UInt64(i) * 100_000_000
            return i % 2 == 0 ? Transition(at: at, state: .running) : Transition(at: at, state: .suspended, detail: "sleep until \(i).000s")
        }
        let old = TaskInfo(id: 123_456, parentID: 1, name: "ticker 7", site: "main.swift:40", state: .suspended(.sleep(until: 3_300_000_000)),
                           history: history, historyDropped: 40, historyDroppedAfter: 4, createdAt: 1_000,
                           startedAt: 2_000, stateSince: 3_200_000_000, steps: 60, busy: 900_000, lastStep: 15_000,
                           maxStep: 40_000, lastLatency: 3_000, maxLatency: 9_000,
                           stepHistogram: hist([15_000, 20_000]), latencyHistogram: hist([3_000]), version: 9_000)
        // One more round: woke at 3.3 s, ran 16 µs, slept again until 3.4 s.
        var newHistory = Array(history[..<4]) + Array(history[6...])
        newHistory += [Transition(at: 3_200_000_000, state: .suspended, detail: old.state.detail),
                       Transition(at: 3_300_100_000, state: .running)]
        let new = TaskInfo(id: 123_456, parentID: 1, name: "ticker 7", site: "main.swift:40", state: .suspended(.sleep(until: 3_400_000_000)),
                           history: newHistory, historyDropped: 42, historyDroppedAfter: 4, createdAt: 1_000,
                           startedAt: 2_000, stateSince: 3_300_116_000, steps: 61, busy: 916_000, lastStep: 16_000,
                           maxStep: 40_000, lastLatency: 2_500, maxLatency: 9_000,
                           stepHistogram: hist([15_000, 20_000, 16_000]), latencyHistogram: hist([3_000, 2_500]), version: 9_100)
        let base = Snapshot(version: 9_000, tasks: [old])
        let empty = SnapshotDelta(fromVersion: 9_000, toVersion: 9_100, takenAt: 1, isFull: false, changed: [], removed: [],
                                  stats: LoopStats(), executors: [])
        var delta = empty
        delta.changed = [new]
        let bytes = DeltaCodec.encode(delta, base: base).count - DeltaCodec.encode(empty, base: base).count
        #expect(bytes <= 60, "a step of a task with a full history took \(bytes) bytes")
        var decoder = DeltaDecoder()
        _ = try decoder.decode(DeltaCodec.encode(.full(base), base: nil))
        #expect(try decoder.decode(DeltaCodec.encode(delta, base: base)).changed == [new])
    }

    /// Every prefix of a valid delta, and random corruptions of it, throw or decode: never
    /// trap; a delta that throws leaves what the decoder holds untouched.
    @Test func truncatedAndCorruptDeltasThrow() throws {
        var model = RandomModel(rng: SplitMix(seed: 7))
        let base = model.snapshot(tasks: 8)
        let delta = model.delta(from: base)
        let bytes = DeltaCodec.encode(delta, base: base)
        var decoder = DeltaDecoder()
        _ = try decoder.decode(DeltaCodec.encode(.full(base), base: nil))
        let held = decoder.tasks
        for n in 0..<bytes.count {
            var copy = decoder
            #expect(throws: WireError.self) { try copy.decode(Array(bytes[..<n])) }
            #expect(copy.tasks == held)
        }
        #expect(throws: WireError.self) { var copy = decoder; _ = try copy.decode(bytes + [0]) }
        var rng = SplitMix(seed: 11)
        for _ in 0..<3_000 {
            var corrupt = bytes
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                corrupt[Int.random(in: 0..<corrupt.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            var copy = decoder
            _ = try? copy.decode(corrupt)
        }
        for _ in 0..<3_000 {
            var copy = decoder
            _ = try? copy.decode((0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
    }

    /// A change to a task the client was never sent, and a varint of more than 64 bits,
    /// are refused by name.
    @Test func unannouncedTasksAndOverlongNumbersAreRefused() {
        let t = TaskInfo(id: 5, name: "a", version: 2)
        let delta = SnapshotDelta(fromVersion: 1, toVersion: 2, takenAt: 0, isFull: false, changed: [t], removed: [],
                                  stats: LoopStats(), executors: [])
        let bytes = DeltaCodec.encode(delta, base: Snapshot(version: 1, tasks: [TaskInfo(id: 5, name: "a", version: 1)]))
        var decoder = DeltaDecoder()
        #expect { try decoder.decode(bytes) } throws: { ($0 as? WireError)?.message.contains("never announced") == true }
        let overlong: [UInt8] = [DeltaCodec.format, 0] + Array(repeating: 0xFF, count: 11) + [0x01]
        #expect { try decoder.decode(overlong) } throws: { ($0 as? WireError)?.message.contains("64 bits") == true }
        #expect { try decoder.decode([9]) } throws: { ($0 as? WireError)?.message.contains("format 9") == true }
    }
}

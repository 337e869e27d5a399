import AsyncTopModel
import CAsyncTopObserverAPI
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A program's plain Swift tasks, as the preloaded observer records them, served like a loop:
/// snapshots, deltas, cancellation, async stacks.
package final class GlobalExecutorSource: MonitorSource {
    package let name = "global executor"
    package var isClosed: Bool { false }

    private let observer: ObserverLibrary
    /// Loop time starts when the source does.
    private let origin: UInt64
    package let epoch = Date().timeIntervalSince1970

    /// Reads what `observer` records (it is on: ``ObserverLibrary/isActive``).
    package init(observer: ObserverLibrary) {
        self.observer = observer
        self.origin = observer.now()
    }

    private struct State {
        var version: UInt64 = 0
        var last: [TaskID: TaskInfo] = [:]
        var lastStats: asynctop_obs_stats_t?
        var stacks: [TaskID: (since: UInt64, stack: TaskStack)] = [:]
    }
    private let state = Mutex(State())
    private let sites = SiteNames()

    private func time(_ t: UInt64) -> Nanos { t > origin ? t - origin : 0 }

    // MARK: Snapshots

    package func snapshot(timeout: Double) -> Snapshot {
        state.withLock { state in
            let (tasks, stats, executors, takenAt) = build(&state)
            state.version += 1
            state.last = Dictionary(uniqueKeysWithValues: tasks.map { ($0.id, $0) })
            return Snapshot(version: state.version, takenAt: takenAt, epoch: epoch, loopName: name, stats: stats,
                            tasks: tasks, executors: executors)
        }
    }

    package func delta(since version: UInt64, timeout: Double) -> SnapshotDelta {
        // Only a client (or a recording) asks for deltas.
        observer.noteReader()
        return state.withLock { state in
            let (tasks, stats, executors, takenAt) = build(&state)
            let previous = state.last
            let from = state.version
            state.version += 1
            state.last = Dictionary(uniqueKeysWithValues: tasks.map { ($0.id, $0) })
            guard version == from, version != 0 else {
                return SnapshotDelta(fromVersion: version, toVersion: state.version, takenAt: takenAt, isFull: true,
                                     changed: tasks, removed: [], stats: stats, executors: executors, resources: [])
            }
            let changed = tasks.filter { previous[$0.id] != $0 }
            let removed = previous.keys.filter { state.last[$0] == nil }.sorted()
            return SnapshotDelta(fromVersion: version, toVersion: state.version, takenAt: takenAt, isFull: false,
                                 changed: changed, removed: removed, stats: stats, executors: executors, resources: [])
        }
    }

    private func build(_ state: inout State) -> ([TaskInfo], LoopStats, [ExecutorInfo], Nanos) {
        var raw = [asynctop_obs_task_t](repeating: asynctop_obs_task_t(), count: max(state.last.count * 2, 256))
        while true {
            let total = raw.withUnsafeMutableBufferPointer { observer.copyTasks($0.baseAddress, $0.count) }
            if total <= raw.count {
                raw.removeLast(raw.count - total)
                break
            }
            raw = [asynctop_obs_task_t](repeating: asynctop_obs_task_t(), count: total + total / 4)
        }
        var stats = asynctop_obs_stats_t()
        observer.copyStats(&stats)
        let takenAt = time(stats.now)
        let byID = Dictionary(raw.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        sites.request(raw.compactMap { Self.sites(of: $0) })
        // Stacks stay filed while the suspension they were taken in goes on.
        state.stacks = state.stacks.filter { id, filed in
            byID[id].map { $0.state == UInt32(ASYNCTOP_OBS_STATE_SUSPENDED) && $0.state_since == filed.since } ?? false
        }
        // A record whose version did not move is the task it was (with its site named and no
        // new stack): the value built last time is reused.
        let previous = state.last, stacks = state.stacks
        var tasks = raw.map { record -> TaskInfo in
            let stack = stacks[record.id]?.stack
            if let known = previous[record.id], known.version == record.version, known.stack == stack,
               known.site != nil || Self.sites(of: record) == nil {
                return known
            }
            return info(of: record, byID: byID, stack: stack)
        }
        tasks.sort { $0.id < $1.id }

        var counts: [TaskStateKind: Int] = [:]
        var sleeping = 0
        var ready: [QueuedItem] = []
        for (task, record) in zip(tasks, tasks.map { byID[$0.id]! }) {
            counts[task.state.kind, default: 0] += 1
            if record.state == UInt32(ASYNCTOP_OBS_STATE_SLEEPING) { sleeping += 1 }
            if record.state == UInt32(ASYNCTOP_OBS_STATE_READY) {
                ready.append(QueuedItem(item: task.id, task: task.id, enqueuedAt: task.stateSince, label: task.displayName))
            }
        }
        ready.sort { $0.enqueuedAt < $1.enqueuedAt }
        let seconds = state.lastStats.map { Double(stats.now &- $0.now) / 1e9 } ?? 0
        let steps = stats.steps + stats.jobs
        let lastSteps = state.lastStats.map { $0.steps + $0.jobs } ?? steps
        let busy = state.lastStats.map { stats.busy &- $0.busy } ?? 0
        let executors = self.executors(ready: ready, queuedJobs: Int(stats.queued_jobs), tasks: byID)
        let threads = max(1, executors.reduce(0) { $0 + $1.workers.count })
        var loopStats = LoopStats(
            phase: "running", instrumented: true, tasksByState: counts, totalSpawned: stats.spawned, totalSteps: steps,
            stepsPerSecond: seconds > 0 ? Double(steps &- lastSteps) / seconds : 0,
            busyFraction: seconds > 0 ? min(1, Double(busy) / 1e9 / seconds / Double(threads)) : 0,
            readyQueueDepth: ready.count + Int(stats.queued_jobs), pendingTimers: sleeping)
        loopStats.droppedFinished = stats.dropped_finished
        loopStats.busyTotal = stats.busy
        state.lastStats = stats
        return (tasks, loopStats, executors, takenAt)
    }

    private func info(of record: asynctop_obs_task_t, byID: [UInt64: asynctop_obs_task_t], stack: TaskStack?) -> TaskInfo {
        let name = Self.name(of: record)
        let origin: TaskOrigin = switch Int(record.kind) {
        case ASYNCTOP_OBS_KIND_UNSTRUCTURED: .unstructured
        case ASYNCTOP_OBS_KIND_DETACHED: .detached
        case ASYNCTOP_OBS_KIND_GROUP_CHILD: .groupChild
        case ASYNCTOP_OBS_KIND_ASYNC_LET: .asyncLet
        case ASYNCTOP_OBS_KIND_MAIN: .main
        default: .native
        }
        let finished = record.state == UInt32(ASYNCTOP_OBS_STATE_FINISHED)
        let taskState: TaskState
        switch Int(record.state) {
        case ASYNCTOP_OBS_STATE_PENDING: taskState = .pending
        case ASYNCTOP_OBS_STATE_READY: taskState = .suspended(.ready)
        case ASYNCTOP_OBS_STATE_RUNNING: taskState = .running
        case ASYNCTOP_OBS_STATE_SLEEPING: taskState = .suspended(.sleep(until: time(record.deadline)))
        case ASYNCTOP_OBS_STATE_SUSPENDED:
            switch Int(record.wait_kind) {
            case ASYNCTOP_OBS_WAIT_CONTINUATION: taskState = .suspended(.other("continuation"))
            case ASYNCTOP_OBS_WAIT_ASYNC_LET:
                taskState = .suspended(record.wait_on != 0 ? .task(record.wait_on) : .other("async let"))
            default: taskState = .suspended(.unknown)
            }
        default:
            switch Int(record.result) {
            case ASYNCTOP_OBS_RESULT_RETURNED: taskState = .done(result: nil)
            case ASYNCTOP_OBS_RESULT_THREW:
                if let type = Self.errorTypeName(record.error_type) {
                    taskState = type == nil ? .cancelled(message: nil) : .failed(error: type!)
                } else {
                    taskState = record.cancelled != 0 ? .cancelled(message: nil) : .failed(error: "an error")
                }
            default:
                // Its result was not read (an async let child its scope ended): cancelled if
                // its cancelled bit was set, as a loop says of its native tasks.
                taskState = record.cancelled != 0 ? .cancelled(message: nil) : .done(result: nil)
            }
        }
        return TaskInfo(
            id: record.id, parentID: record.parent == 0 ? nil : record.parent, name: name, origin: origin,
            site: Self.sites(of: record).flatMap { sites.name(of: $0) }, state: taskState,
            cancel: cancelInfo(record, finished: finished, byID: byID),
            createdAt: time(record.created), startedAt: record.started == 0 ? nil : time(record.started),
            stateSince: time(record.state_since), finishedAt: finished ? time(record.finished) : nil,
            steps: record.steps, busy: record.busy, lastStep: record.last_step, maxStep: record.max_step,
            lastLatency: record.last_latency, maxLatency: record.max_latency, executor: "global executor",
            stack: stack, version: record.version)
    }


    private func cancelInfo(_ record: asynctop_obs_task_t, finished: Bool, byID: [UInt64: asynctop_obs_task_t]) -> CancelInfo? {
        let requester: CancelRequester
        switch Int(record.cancel_from) {
        case ASYNCTOP_OBS_CANCEL_TASK: requester = .task(record.cancel_by)
        case ASYNCTOP_OBS_CANCEL_THREAD: requester = .thread(Self.threadName(record.cancel_tid))
        case ASYNCTOP_OBS_CANCEL_DASHBOARD: requester = .dashboard
        case ASYNCTOP_OBS_CANCEL_SCOPE_END: requester = .combinator("the end of its async let's scope", task: record.cancel_by)
        case ASYNCTOP_OBS_CANCEL_GROUP:
            requester = .combinator("group cancelAll()", task: record.cancel_by == 0 ? nil : record.cancel_by)
        default:
            guard record.cancelled != 0 else { return nil }
            // Cancelled inside the runtime: by its parent's cancellation, its group, or the
            // end of its async let's scope. Only the first is told apart here.
            if let parent = byID[record.parent], parent.cancelled != 0 {
                requester = .combinator("its parent's cancellation", task: record.parent)
            } else {
                requester = .combinator("the Swift runtime (not seen by the observer)", task: nil)
            }
        }
        let outcome: CancelOutcome
        if !finished {
            outcome = .pending
        } else {
            switch Int(record.result) {
            case ASYNCTOP_OBS_RESULT_RETURNED: outcome = .swallowed
            case ASYNCTOP_OBS_RESULT_THREW: outcome = (Self.errorTypeName(record.error_type) ?? nil) == nil ? .cancelled : .failedInstead
            default: outcome = record.cancelled != 0 ? .cancelled : .swallowed
            }
        }
        return CancelInfo(requestedBy: requester, message: nil, requestedAt: time(record.cancel_at), outcome: outcome)
    }

    /// The name given at creation ("…" when cut); nil for an unnamed task.
    static func name(of record: asynctop_obs_task_t) -> String? {
        withUnsafeBytes(of: record.name) { bytes in
            let length = bytes.firstIndex(of: 0) ?? bytes.count
            guard length > 0 else { return nil }
            let text = String(decoding: bytes[..<length], as: UTF8.self)
            return record.name_truncated != 0 ? text + "…" : text
        }
    }

    /// The metadata of `CancellationError` in this process (the program's runtime is ours).
    private static let cancellationError = UInt(bitPattern: unsafeBitCast(CancellationError.self, to: Int.self))

    /// The name of a thrown error's type: `.some(nil)` for `CancellationError`; nil when
    /// its type was not read.
    static func errorTypeName(_ metadata: UInt64) -> String?? {
        guard metadata != 0 else { return nil }
        if UInt(metadata) == cancellationError { return .some(nil) }
        guard let pointer = UnsafeRawPointer(bitPattern: UInt(metadata)) else { return nil }
        let type = unsafeBitCast(pointer, to: Any.Type.self)
        return .some("\(_typeName(type, qualified: false)) thrown")
    }

    /// The creating call's return addresses, innermost first; nil when unknown.
    static func sites(of record: asynctop_obs_task_t) -> [UInt]? {
        let addresses = withUnsafeBytes(of: record.sites) { Array($0.bindMemory(to: UInt64.self)) }.prefix { $0 != 0 }.map { UInt($0) }
        return addresses.isEmpty ? nil : addresses
    }

    static func threadName(_ tid: Int32) -> String {
        let comm = (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return comm.map { "\($0) (\(tid))" } ?? "thread \(tid)"
    }

    private func executors(ready: [QueuedItem], queuedJobs: Int, tasks: [UInt64: asynctop_obs_task_t]) -> [ExecutorInfo] {
        var raw = [asynctop_obs_worker_t](repeating: asynctop_obs_worker_t(), count: 256)
        let count = raw.withUnsafeMutableBufferPointer { observer.copyWorkers($0.baseAddress, $0.count) }
        var pool: [WorkerInfo] = [], main: [WorkerInfo] = []
        for worker in raw.prefix(count) {
            let name = withUnsafeBytes(of: worker.name) { bytes in
                String(decoding: bytes[..<(bytes.firstIndex(of: 0) ?? bytes.count)], as: UTF8.self)
            }
            let label: String? = worker.task != 0
                ? (tasks[worker.task].flatMap(Self.name(of:)) ?? "task \(worker.task)")
                : worker.running_job != 0 ? "a job (an actor's turn, a continuation)" : nil
            let info = WorkerInfo(name: name.isEmpty ? "thread \(worker.tid)" : "\(name) (\(worker.tid))",
                                  item: worker.task != 0 ? worker.task : worker.running_job != 0 ? 0 : nil,
                                  awaitingTask: worker.task == 0 ? nil : worker.task,
                                  since: worker.since == 0 ? nil : time(worker.since), label: label)
            if worker.is_main != 0 { main.append(info) } else { pool.append(info) }
        }
        var executors = [ExecutorInfo(name: "cooperative pool", kind: .threads, workers: pool, queue: Array(ready.prefix(100)),
                                      queueDepth: ready.count + queuedJobs)]
        if !main.isEmpty { executors.append(ExecutorInfo(name: "main thread", kind: .threads, workers: main)) }
        return executors
    }

    // MARK: Commands

    package func cancel(task id: TaskID, message: String?, requester: CancelRequester, timeout: Double) -> CancelAnswer {
        switch observer.cancel(id) {
        case 0: .requested
        case 2: .alreadyFinished
        case 3: .notCancellable
        default: .notFound
        }
    }

    package func sampleStacks() {}

    package func captureStacks(of ids: [TaskID]?, minimumAge: Double, limit: Int,
                       completion: (@Sendable ([TaskID: StackAnswer]) -> Void)?, walked: (@Sendable () -> Void)?) {
        let snapshot = self.snapshot(timeout: 0)
        let wanted = ids ?? snapshot.tasks.filter { if case .suspended = $0.state { true } else { false } }.prefix(limit).map(\.id)
        var answers: [TaskID: StackAnswer] = [:]
        var walks: [(id: TaskID, since: Nanos, addresses: [UInt], cut: Bool)] = []
        var code = CodeRanges()
        for id in wanted {
            guard let task = snapshot.task(id) else { answers[id] = .unavailable("no such task"); continue }
            switch task.state {
            case .running: answers[id] = .unavailable("running"); continue
            case .done, .failed, .cancelled: answers[id] = .unavailable("finished"); continue
            default: break
            }
            guard let object = observer.taskObject(id) else {
                answers[id] = .unavailable(task.origin == .asyncLet ? "an async let child: not held by the observer" : "not held by the observer")
                continue
            }
            // The task may run on another thread meanwhile: every read is fault-safe, and a
            // walk the task ran during is discarded.
            switch RuntimeInternals.captureStack(ofTask: UnsafeRawPointer(object), safeReads: true, code: &code) {
            case .addresses(let addresses, let cut): walks.append((id, task.stateSince, addresses, cut))
            case .unavailable(let why): answers[id] = .unavailable(why)
            }
        }
        walked?()
        guard !walks.isEmpty else { completion?(answers); return }
        let known = answers, taken = walks, now = snapshot.takenAt
        StackSymbolicator.shared.symbolicate(walks.map(\.addresses)) { [weak self] results in
            var answers = known
            var filed: [(TaskID, TaskStack)] = []
            for (walk, result) in zip(taken, results) {
                var problem = result.problem
                if walk.cut { problem = [problem, "cut at \(RuntimeInternals.stackFrameLimit) frames"].compactMap { $0 }.joined(separator: "; ") }
                let stack = TaskStack(frames: result.frames, capturedAt: now, problem: problem)
                answers[walk.id] = result.frames.isEmpty ? .unavailable(problem ?? "no frames") : .stack(stack)
                filed.append((walk.id, stack))
            }
            if let self {
                let origin = self.origin
                self.state.withLock { state in
                    for (id, stack) in filed {
                        if let since = taken.first(where: { $0.id == id })?.since { state.stacks[id] = (since + origin, stack) }
                    }
                }
            }
            completion?(answers)
        }
    }
}

/// Spawn sites: the return addresses of the calls that created tasks (and their callers),
/// named by the symbolicator on its own thread as the first frame of the program's own code
/// ("main.swift:12 in worker()"); nil until named.
final class SiteNames: Sendable {
    private let names = Mutex<[[UInt]: String]>([:])
    private let asked = Mutex<Set<[UInt]>>([])

    func name(of sites: [UInt]) -> String? { names.withLock { $0[sites] } }

    func request(_ all: [[UInt]]) {
        let new = asked.withLock { asked in
            let fresh = Set(all).subtracting(asked)
            asked.formUnion(fresh)
            return Array(fresh)
        }
        guard !new.isEmpty else { return }
        // A return address points after the call: look up the call itself.
        StackSymbolicator.shared.symbolicateCallSites(new.map { $0.map { $0 &- 1 } }) { [self] results in
            names.withLock { names in
                for (sites, result) in zip(new, results) {
                    let own = result.frames.filter { !$0.isRuntime }
                    guard let frame = own.first(where: { $0.file != nil }) ?? own.first ?? result.frames.first else { continue }
                    if let file = frame.file, let line = frame.line {
                        names[sites] = "\((file as NSString).lastPathComponent):\(line) in \(frame.function)"
                    } else {
                        names[sites] = frame.function
                    }
                }
            }
        }
    }
}

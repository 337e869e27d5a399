@_spi(ExperimentalScheduling) @_spi(ExperimentalCustomExecutors) import _Concurrency
import AsyncTopModel
import CAsyncTopSupport
import Dispatch
import Foundation

// Everything in asynctop that leans on Swift runtime internals lives in this file.
// `RuntimeInternalsTests` checks each assumption and fails with a clear message when a
// toolchain changes one (checked on Swift 6.3.1, Linux x86_64); the first instrumented
// loop of a process checks them again on real tasks (`RuntimeInternals.checked`) and
// turns off what does not hold.

/// The runtime's id of the task a job belongs to (0 for jobs that are not tasks).
/// Exported by libswift_Concurrency; the same number `ExecutorJob.description` prints.
@_silgen_name("swift_task_getJobTaskId")
private func _jobTaskID(_ job: UnownedJob) -> UInt64

package enum RuntimeInternals {
    /// Byte offset of `Job::Flags` (a 32-bit word whose low byte is the job kind).
    static let jobFlagsOffset = 32
    /// Byte offset of `AsyncTask::PrivateStorage::Status.Flags` on 64-bit targets:
    /// Job (64) + ResumeContext (8) + Reserved64 (8) + ExclusivityAccessSet (16).
    static let taskStatusFlagsOffset = 96
    /// `ActiveTaskStatus::IsComplete`.
    static let isCompleteBit: UInt32 = 0x2000
    /// `ActiveTaskStatus::IsCancelled`.
    static let isCancelledBit: UInt32 = 0x100
    /// `JobKind::Task`.
    static let taskKind: UInt32 = 0

    @inline(__always)
    static func taskID(of job: UnownedJob) -> UInt64 { _jobTaskID(job) }

    @inline(__always)
    static func pointer(of job: UnownedJob) -> UnsafeMutableRawPointer {
        unsafeBitCast(job, to: UnsafeMutableRawPointer.self)
    }

    /// `JobFlags::Task_IsGroupChildTask` and `Task_IsAsyncLetTask`.
    static let groupChildBit: UInt32 = 1 << 26
    static let asyncLetBit: UInt32 = 1 << 28

    /// The job's flags word: its kind in the low byte, the task bits above.
    @inline(__always)
    static func jobFlags(of job: UnownedJob) -> UInt32 {
        pointer(of: job).load(fromByteOffset: jobFlagsOffset, as: UInt32.self)
    }

    /// What kind of native task a job's task is, from its job flags.
    static func origin(ofTask job: UnownedJob) -> TaskOrigin {
        let flags = jobFlags(of: job)
        if flags & asyncLetBit != 0 { return .asyncLet }
        if flags & groupChildBit != 0 { return .groupChild }
        return .native
    }

    /// True when the job is a task (not a continuation or other small job).
    @inline(__always)
    static func isTask(_ job: UnownedJob) -> Bool {
        pointer(of: job).load(fromByteOffset: jobFlagsOffset, as: UInt32.self) & 0xFF == taskKind
    }

    /// The task's status flags. Only valid while the task object is alive: hold a retain.
    @inline(__always)
    static func statusFlags(ofTask job: UnownedJob) -> UInt32 {
        pointer(of: job).load(fromByteOffset: taskStatusFlagsOffset, as: UInt32.self)
    }

    /// Keeps a task object alive across a step, so its status can be read after it ran.
    /// (Async-let tasks have immortal refcounts; retain and release are then no-ops.)
    @inline(__always)
    static func retain(task job: UnownedJob) {
        _ = Unmanaged<AnyObject>.fromOpaque(UnsafeRawPointer(pointer(of: job))).retain()
    }

    @inline(__always)
    static func release(task job: UnownedJob) {
        Unmanaged<AnyObject>.fromOpaque(UnsafeRawPointer(pointer(of: job))).release()
    }

    @inline(__always)
    static func release(taskObject object: UnsafeMutableRawPointer) {
        Unmanaged<AnyObject>.fromOpaque(UnsafeRawPointer(object)).release()
    }
}

/// With this (experimental) conformance the runtime hands `Task.sleep` of a task on the
/// loop to the loop's own timer heap instead of the global executor's timers.
@_spi(ExperimentalScheduling)
extension EventLoop: SchedulingExecutor {
    public func enqueue<C: Clock>(_ job: consuming ExecutorJob, after delay: C.Duration, tolerance: C.Duration?, clock: C) {
        let job = UnownedJob(job)
        guard let duration = delay as? Duration else {
            // A clock the loop cannot read: let that clock do the waiting, then run the job here.
            let deadline = clock.now.advanced(by: delay)
            Task.detached { [self] in
                try? await clock.sleep(until: deadline, tolerance: tolerance)
                self.enqueueLater(job, nanos: 0)
            }
            return
        }
        let (seconds, attoseconds) = duration.components
        let nanos = seconds < 0 ? 0 : UInt64(seconds) &* 1_000_000_000 &+ UInt64(max(0, attoseconds) / 1_000_000_000)
        enqueueLater(job, nanos: nanos)
    }
}

/// Which of the internals above held when checked on real tasks, once per process.
struct InternalsCheck: Sendable {
    /// `swift_task_getJobTaskId`: a nonzero id per task, the one its job describes, the
    /// same for every job of the task.
    var taskIDs = true
    /// The job kind byte tells task jobs from others.
    var jobKind = true
    /// The `async let` and group-child bits of the job flags.
    var jobFlags = true
    /// The status word: its offset and the IsComplete and IsCancelled bits.
    var taskStatus = true
    /// A new task's first job is enqueued on the spawning thread while `Task.init` runs
    /// (what `spawn` hands its record over with).
    var spawnSlot = true
    /// What did not hold, in words.
    var failures: [String] = []

    /// Without ids, kinds and the spawn slot the registry cannot follow tasks at all.
    var canInstrument: Bool { taskIDs && jobKind && spawnSlot }

    /// Assumed without a check (uninstrumented loops read nothing).
    static let unchecked = InternalsCheck()

    /// What the loop does without, for the dashboard and standard error.
    var warning: String? {
        guard !failures.isEmpty else { return nil }
        var off: [String] = []
        if !canInstrument {
            off.append("running uninstrumented")
        } else {
            if !taskStatus { off.append("native tasks' ends are not seen") }
            if !jobFlags { off.append("async let and group children show as native tasks") }
        }
        return "Swift runtime internals changed (\(failures.joined(separator: "; "))): "
            + off.joined(separator: ", ")
    }
}

extension RuntimeInternals {
    /// The check of this process, made by the first instrumented loop; a failure is said
    /// once on standard error.
    static let checked: InternalsCheck = {
        let result = check()
        if let warning = result.warning {
            FileHandle.standardError.write(Data("asynctop: \(warning)\n".utf8))
        }
        return result
    }()

    /// Runs a few tasks of every kind the loop tells apart on a private executor and
    /// compares what the internals say about their jobs with what is known of them.
    static func check(timeout: Double = 10) -> InternalsCheck {
        guard let observed = observe(timeout: timeout) else {
            var result = InternalsCheck()
            result.taskIDs = false
            result.failures.append("the check's tasks did not finish")
            return result
        }
        return verdict(observed)
    }

    /// What the probe saw of its tasks' jobs, and which tasks were made as plain and as
    /// cancelled ones; nil when they did not finish in time.
    struct Observation {
        var jobs: [InternalsProbe.Seen]
        var plain: UInt64?
        var cancelled: UInt64?
    }

    static func observe(timeout: Double = 10) -> Observation? {
        let probe = InternalsProbe()
        probe.start()
        let done = DispatchSemaphore(value: 0)
        let marker = UnsafeMutableRawPointer(bitPattern: 0xA57C)!
        let saved = asynctop_tls_spawn_slot()
        asynctop_set_tls_spawn_slot(marker)
        // A plain task with an `async let` child and a group child, each yielding once.
        Task(executorPreference: probe) {
            async let child: Int = { await Task.yield(); return 1 }()
            let fromGroup = await withTaskGroup(of: Int.self) { group in
                group.addTask { await Task.yield(); return 2 }
                return await group.reduce(0, +)
            }
            await Task.yield()
            _ = await child + fromGroup
            done.signal()
        }
        let plain = probe.takeMarked()
        asynctop_set_tls_spawn_slot(marker)
        // A task that is cancelled in its first step.
        Task(executorPreference: probe) {
            withUnsafeCurrentTask { $0?.cancel() }
            await Task.yield()
            done.signal()
        }
        let cancelled = probe.takeMarked()
        asynctop_set_tls_spawn_slot(saved)
        let finished = done.wait(timeout: .now() + timeout) == .success
            && done.wait(timeout: .now() + timeout) == .success
        guard finished, let jobs = probe.stop(timeout: timeout) else { return nil }
        return Observation(jobs: jobs, plain: plain, cancelled: cancelled)
    }

    /// Compares the observations of the probe with the truth.
    static func verdict(_ observed: Observation) -> InternalsCheck {
        let (jobs, plain, cancelled) = (observed.jobs, observed.plain, observed.cancelled)
        var result = InternalsCheck()
        func fail(_ what: String, _ keyPath: WritableKeyPath<InternalsCheck, Bool>) {
            if result[keyPath: keyPath] { result.failures.append(what) }
            result[keyPath: keyPath] = false
        }
        if jobs.contains(where: { $0.isTaskByKindByte != $0.isTaskBySPI }) { fail("job kind byte", \.jobKind) }
        let tasks = jobs.filter(\.isTaskBySPI)
        if tasks.contains(where: { $0.id == 0 || !$0.described.contains("\($0.id)") }) {
            fail("task ids", \.taskIDs)
        }
        let ids = Set(tasks.map(\.id))
        if ids.count != 4 { fail("task ids (\(ids.count) tasks seen, 4 made)", \.taskIDs) }
        guard let plain, let cancelled, plain != cancelled, ids.contains(plain), ids.contains(cancelled),
              tasks.filter({ $0.id == plain }).count > 1 else {
            fail("spawn slot", \.spawnSlot)
            return result
        }
        // The flag bits: one async-let child, one group child, two plain tasks.
        let asyncLets = Set(tasks.filter { $0.flags & asyncLetBit != 0 }.map(\.id))
        let groupChildren = Set(tasks.filter { $0.flags & groupChildBit != 0 }.map(\.id))
        if asyncLets.count != 1 || groupChildren.count != 1 || !asyncLets.isDisjoint(with: groupChildren)
            || asyncLets.contains(plain) || groupChildren.contains(plain) || asyncLets.contains(cancelled) {
            fail("async let and group child bits", \.jobFlags)
        }
        // The status word: complete after its last step only, cancelled only when it was.
        for id in ids {
            let steps = tasks.filter { $0.id == id }
            let completeEarly = steps.dropLast().contains { $0.statusAfter & isCompleteBit != 0 }
                || steps.contains { $0.statusBefore & isCompleteBit != 0 }
            let completeAtEnd = (steps.last?.statusAfter ?? 0) & isCompleteBit != 0
            if completeEarly || !completeAtEnd { fail("IsComplete bit at offset \(taskStatusFlagsOffset)", \.taskStatus) }
            let cancelledSeen = steps.contains { $0.statusAfter & isCancelledBit != 0 }
            if cancelledSeen != (id == cancelled) { fail("IsCancelled bit", \.taskStatus) }
        }
        return result
    }
}

/// A one-thread executor that notes what the internals say about every job it runs.
final class InternalsProbe: TaskExecutor, @unchecked Sendable {
    struct Seen {
        var id: UInt64
        var described: String
        var isTaskBySPI: Bool
        var isTaskByKindByte: Bool
        var flags: UInt32
        var statusBefore: UInt32 = 0
        var statusAfter: UInt32 = 0
    }

    private let lock = ConditionLock()
    private var queue: [(UnownedJob, Int)] = []
    private var seen: [Seen] = []
    private var marked: UInt64?
    private var stopping = false
    private var exited = false

    func enqueue(_ job: consuming ExecutorJob) {
        let described = job.description
        let bySPI = job.kind == .task
        let unowned = UnownedJob(job)
        let observed = Seen(id: RuntimeInternals.taskID(of: unowned), described: described, isTaskBySPI: bySPI,
                            isTaskByKindByte: RuntimeInternals.isTask(unowned),
                            flags: RuntimeInternals.jobFlags(of: unowned))
        // The spawn slot: set by the checking thread around `Task.init`.
        let slotWasSet = asynctop_tls_spawn_slot() != nil
        if slotWasSet { asynctop_set_tls_spawn_slot(nil) }
        lock.withLock {
            if slotWasSet && bySPI { marked = observed.id }
            seen.append(observed)
            queue.append((unowned, seen.count - 1))
            lock.signal()
        }
    }

    /// The id of the task whose job came while the spawn slot was set, once.
    func takeMarked() -> UInt64? {
        lock.withLock {
            defer { marked = nil }
            return marked
        }
    }

    func start() {
        let thread = Thread { [self] in
            asynctop_set_thread_name("asynctop-check")
            self.drain()
        }
        thread.start()
    }

    private func drain() {
        lock.lock()
        while true {
            while queue.isEmpty && !stopping { lock.wait() }
            if queue.isEmpty { break }
            let (job, index) = queue.removeFirst()
            let isTask = seen[index].isTaskBySPI
            lock.unlock()
            var before: UInt32 = 0, after: UInt32 = 0
            if isTask {
                RuntimeInternals.retain(task: job)
                before = RuntimeInternals.statusFlags(ofTask: job)
            }
            job.runSynchronously(on: asUnownedTaskExecutor())
            if isTask {
                after = RuntimeInternals.statusFlags(ofTask: job)
                RuntimeInternals.release(task: job)
            }
            lock.lock()
            seen[index].statusBefore = before
            seen[index].statusAfter = after
        }
        exited = true
        lock.broadcast()
        lock.unlock()
    }

    /// Ends the thread once the queue is empty; what it saw, or nil when it did not end in time.
    func stop(timeout: Double) -> [Seen]? {
        let deadline = MonotonicClock.now() &+ UInt64(timeout * 1e9)
        return lock.withLock {
            stopping = true
            lock.broadcast()
            while !exited {
                if MonotonicClock.now() >= deadline { return nil }
                lock.wait(untilMonotonic: deadline)
            }
            return seen
        }
    }
}

// MARK: Async stacks

extension RuntimeInternals {
    /// `Job::ResumeTask`: the function the task resumes in (an async funclet's entry).
    static let resumeTaskOffset = 56
    /// `AsyncTask::ResumeContext`: the innermost `AsyncContext` of a suspended task.
    static let resumeContextOffset = 64
    /// `AsyncContext::Parent` and `AsyncContext::ResumeParent`.
    static let contextParentOffset = 0
    static let contextResumeParentOffset = 8
    /// `ActiveTaskStatus::IsRunning` (a bit of its own where priority escalation is off,
    /// as on Linux) and `IsEnqueued`.
    static let isRunningBit: UInt32 = 0x800
    static let isEnqueuedBit: UInt32 = 0x1000
    /// The longest chain walked; deeper stacks are cut (and say so).
    package static let stackFrameLimit = 128

    /// The runtime's own description of its layout: the variables debuggers read.
    struct LayoutGuards: Sendable {
        var layoutVersion: UInt32?
        var taskSize: Int?
        var priorityEscalation: Bool?
        var taskMetadata: UInt?

        /// The values this file's offsets were checked against (Swift 6.3.1, x86_64).
        static let expectedLayoutVersion: UInt32 = 1
        static let expectedTaskSize = 208

        /// Why stacks cannot be read with this runtime, or nil when they can.
        var problem: String? {
            guard let layoutVersion, let taskSize, let priorityEscalation, taskMetadata != nil else {
                return "the Swift runtime does not describe its task layout"
            }
            if layoutVersion != Self.expectedLayoutVersion {
                return "the Swift runtime's task layout is version \(layoutVersion), not \(Self.expectedLayoutVersion)"
            }
            if taskSize != Self.expectedTaskSize {
                return "the Swift runtime's tasks are \(taskSize) bytes, not \(Self.expectedTaskSize)"
            }
            if priorityEscalation { return "the Swift runtime escalates priorities (its status word differs)" }
            return nil
        }
    }

    static let layoutGuards: LayoutGuards = {
        var guards = LayoutGuards()
        guard let library = dlopen("libswift_Concurrency.so", RTLD_NOW | RTLD_NOLOAD) else { return guards }
        if let p = dlsym(library, "_swift_concurrency_debug_internal_layout_version") {
            guards.layoutVersion = p.load(as: UInt32.self)
        }
        if let p = dlsym(library, "_swift_concurrency_debug_asyncTaskSize") { guards.taskSize = p.load(as: Int.self) }
        if let p = dlsym(library, "_swift_concurrency_debug_supportsPriorityEscalation") {
            guards.priorityEscalation = p.load(as: Bool.self)
        }
        if let p = dlsym(library, "_swift_concurrency_debug_asyncTaskMetadata") {
            guards.taskMetadata = p.load(as: UInt.self)
        }
        return guards
    }()

    /// What a walk of a task's async contexts found: resume addresses, innermost first.
    package enum StackCapture: Equatable, Sendable {
        case addresses([UInt], cut: Bool)
        /// No stack, and why ("running", "finished", …).
        case unavailable(String)
    }

    /// Walks the async context chain of a suspended task.
    ///
    /// Safe only where the task cannot run during the walk: on the loop's thread between
    /// steps, for a task whose object the loop holds a retain on and that suspended on the
    /// loop. For a task that may run elsewhere meanwhile, pass `safeReads`: every read then
    /// goes through `process_vm_readv`, which fails instead of faulting on freed memory; the
    /// status word read before and after the walk discards a walk the task ran during.
    package static func captureStack(ofTask task: UnsafeRawPointer, safeReads: Bool, code: inout CodeRanges) -> StackCapture {
        if let problem = layoutGuards.problem { return .unavailable(problem) }
        func word(_ address: UInt) -> UInt? {
            guard address & 7 == 0, address != 0 else { return nil }
            if !safeReads { return UnsafeRawPointer(bitPattern: address)!.load(as: UInt.self) }
            var value: UInt = 0
            return asynctop_safe_read(address, &value, MemoryLayout<UInt>.size) == 0 ? value : nil
        }
        let base = UInt(bitPattern: task)
        func status() -> UInt32? { word(base &+ UInt(taskStatusFlagsOffset)).map { UInt32(truncatingIfNeeded: $0) } }
        guard word(base) == layoutGuards.taskMetadata else { return .unavailable("not a task") }
        guard let before = status() else { return .unavailable("unreadable") }
        if before & isCompleteBit != 0 { return .unavailable("finished") }
        if before & isRunningBit != 0 { return .unavailable("running") }
        guard let resumeTask = word(base &+ UInt(resumeTaskOffset)),
              var context = word(base &+ UInt(resumeContextOffset)) else { return .unavailable("unreadable") }
        var addresses: [UInt] = []
        // Suspended on a continuation, the resume context is the continuation's own, which
        // resumes where the task does: keep that address once.
        if word(context &+ UInt(contextResumeParentOffset)) != resumeTask {
            guard code.contains(resumeTask) else { return .unavailable("unreadable") }
            addresses.append(resumeTask)
        }
        var cut = false
        while context != 0 {
            guard addresses.count < stackFrameLimit else { cut = true; break }
            guard context & 0xF == 0,
                  let resume = word(context &+ UInt(contextResumeParentOffset)),
                  let parent = word(context &+ UInt(contextParentOffset)) else { return .unavailable("unreadable") }
            guard code.contains(resume) else { return .unavailable("unreadable") }
            addresses.append(resume)
            context = parent
        }
        guard let after = status(), after & (isRunningBit | isCompleteBit) == 0 else {
            return .unavailable("it ran while its stack was read")
        }
        return .addresses(addresses, cut: cut)
    }
}

/// The executable segments of the loaded images, to tell a code address from garbage.
package struct CodeRanges {
    private var ranges: [(start: UInt, end: UInt)] = []
    private var refreshed = false

    package init() { load() }

    private mutating func load() {
        var buffer = [UInt](repeating: 0, count: 512)
        var count = Int(buffer.withUnsafeMutableBufferPointer { asynctop_code_ranges($0.baseAddress, 256) })
        if count > 256 {
            buffer = [UInt](repeating: 0, count: 2 * count)
            count = Int(buffer.withUnsafeMutableBufferPointer { asynctop_code_ranges($0.baseAddress, Int32(count)) })
        }
        ranges = (0..<min(count, buffer.count / 2)).map { (buffer[2 * $0], buffer[2 * $0 + 1]) }.sorted { $0.start < $1.start }
    }

    /// Whether `address` lies in code; an address in none is looked for again once, after
    /// reading the images anew (a library loaded since).
    mutating func contains(_ address: UInt) -> Bool {
        if find(address) { return true }
        guard !refreshed else { return false }
        refreshed = true
        load()
        return find(address)
    }

    private func find(_ address: UInt) -> Bool {
        var low = 0, high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].start <= address { low = mid + 1 } else { high = mid }
        }
        return low > 0 && address < ranges[low - 1].end
    }
}

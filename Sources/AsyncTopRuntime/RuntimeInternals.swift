@_spi(ExperimentalScheduling) import _Concurrency
import AsyncTopModel

// Everything in asynctop that leans on Swift runtime internals lives in this file.
// `RuntimeInternalsTests` checks each assumption and fails with a clear message when a
// toolchain changes one (checked on Swift 6.3.1, Linux x86_64).

/// The runtime's id of the task a job belongs to (0 for jobs that are not tasks).
/// Exported by libswift_Concurrency; the same number `ExecutorJob.description` prints.
@_silgen_name("swift_task_getJobTaskId")
private func _jobTaskID(_ job: UnownedJob) -> UInt64

enum RuntimeInternals {
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

    /// What kind of native task a job's task is, from its job flags.
    static func origin(ofTask job: UnownedJob) -> TaskOrigin {
        let flags = pointer(of: job).load(fromByteOffset: jobFlagsOffset, as: UInt32.self)
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

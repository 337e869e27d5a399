import AsyncTopModel
import Synchronization

/// An entry of the loop's timer heap: due at `deadline` (loop time), ordered by deadline
/// and then by scheduling order.
struct TimerEntry: Comparable {
    let deadline: Nanos
    let sequence: UInt64
    let action: Action

    enum Action {
        case wake(SleepWaiter)
        case callback(LoopCallback)
        /// A job the runtime asked to run later: the wake-up of a `Task.sleep` on the loop.
        case job(UnownedJob)
    }

    static func < (a: Self, b: Self) -> Bool { (a.deadline, a.sequence) < (b.deadline, b.sequence) }
    static func == (a: Self, b: Self) -> Bool { a.deadline == b.deadline && a.sequence == b.sequence }
}

/// A task sleeping on the loop: resumed by its timer or by cancellation, whichever comes first.
final class SleepWaiter: @unchecked Sendable {
    private enum State {
        case idle
        case waiting(UnsafeContinuation<Void, any Error>)
        case cancelledEarly
        case finished
    }
    private let state = Mutex(State.idle)

    /// Installs the continuation; resumes it at once when cancellation came first.
    func install(_ continuation: UnsafeContinuation<Void, any Error>) {
        let cancelled = state.withLock { state -> Bool in
            if case .cancelledEarly = state { state = .finished; return true }
            state = .waiting(continuation)
            return false
        }
        if cancelled { continuation.resume(throwing: CancellationError()) }
    }

    func fire() { finish(with: nil) }
    func cancel() { finish(with: CancellationError()) }

    private func finish(with error: (any Error)?) {
        let continuation = state.withLock { state -> UnsafeContinuation<Void, any Error>? in
            switch state {
            case .waiting(let continuation):
                state = .finished
                return continuation
            case .idle:
                if error != nil { state = .cancelledEarly }
                return nil
            case .cancelledEarly, .finished:
                return nil
            }
        }
        if let error { continuation?.resume(throwing: error) } else { continuation?.resume() }
    }
}

extension EventLoop {
    /// Schedules `callback` for the next iteration of the loop: `call_soon`. Call it on the
    /// loop (from a task or callback); other threads use ``callSoonThreadsafe(_:)``.
    ///
    /// A callback that throws does not stop the loop; its error is logged in ``callbackErrorLog``.
    @discardableResult
    public func callSoon(_ callback: @escaping @Sendable () throws -> Void) -> LoopCallback {
        let handle = LoopCallback(callback)
        if isOnLoopThread { ready.append(.callback(handle)) } else { handOver(.callback(handle)) }
        return handle
    }

    /// Schedules `callback` from any thread and wakes the loop: `call_soon_threadsafe`.
    @discardableResult
    public func callSoonThreadsafe(_ callback: @escaping @Sendable () throws -> Void) -> LoopCallback {
        let handle = LoopCallback(callback)
        handOver(.callback(handle))
        return handle
    }

    /// Schedules `callback` after `delay` seconds: `call_later`. Safe from any thread.
    ///
    /// - Throws: `LoopError.invalidDuration` for NaN or infinite delays; negative ones count as 0.
    @discardableResult
    public func callLater(_ delay: Double, _ callback: @escaping @Sendable () throws -> Void) throws -> LoopCallback {
        let deadline = timeBase.now() &+ (try checkedDuration(delay)).asNanos
        let handle = LoopCallback(callback)
        onLoop { loop in loop.addTimer(deadline, .callback(handle)) }
        return handle
    }

    /// Puts a job the runtime wants run after `nanos` into the timer heap; the running
    /// task, if any, is then sleeping.
    func enqueueLater(_ job: UnownedJob, nanos: UInt64) {
        let deadline = timeBase.now() &+ nanos
        if isOnLoopThread {
            noteWait(.sleep(until: deadline))
            addTimer(deadline, .job(job))
        } else {
            handOver(.callback(LoopCallback { [unowned self] in self.addTimer(deadline, .job(job)) }))
        }
    }

    /// Seconds on the loop's clock since it was created: `loop.time()`.
    public func time() -> Double { Double(timeBase.now()) / 1e9 }

    func addTimer(_ deadline: Nanos, _ action: TimerEntry.Action) {
        timerSequence &+= 1
        timers.insert(TimerEntry(deadline: deadline, sequence: timerSequence, action: action))
    }

    /// Moves every timer that is due to the ready queue, in deadline order.
    func fireDueTimers(now: Nanos) {
        while let first = timers.min, first.deadline <= now {
            _ = timers.removeMin()
            let lag = now &- first.deadline
            stats.lag.record(lag, at: now)
            timings.lags.record(lag)
            timings.lagsThisSecond.record(lag)
            switch first.action {
            case .wake(let waiter): ready.append(.wakeSleeper(waiter))
            case .callback(let callback): ready.append(.callback(callback))
            case .job(let job): ready.append(.wakeUp(job))
            }
        }
    }

    /// Suspends the current task of this loop for `seconds` on the loop's own timer heap.
    func sleepOnLoop(_ seconds: Double) async throws {
        let deadline = timeBase.now() &+ seconds.asNanos
        let waiter = SleepWaiter()
        noteWait(.sleep(until: deadline))
        defer { clearWait() }
        do {
            try await withTaskCancellationHandler {
                try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                    waiter.install(continuation)
                    addTimer(deadline, .wake(waiter))
                }
            } onCancel: {
                waiter.cancel()
            }
            // Cancelled after the time came but before this task ran again: in asyncio the
            // cancel wins (the task's next step throws `CancelledError` into the coroutine),
            // so a time-out that falls due with the work it limits cancels the work.
            if Task.isCancelled { throw CancellationError() }
        } catch {
            noteCancelDelivered(in: "sleep(\(seconds))")
            throw error
        }
    }
}

/// Suspends the current task for `seconds`: asyncio's `sleep`.
///
/// On an event loop the loop's timer heap wakes the task; elsewhere it falls back to
/// `Task.sleep`. `sleep(0)` yields to the other ready tasks once.
///
/// - Throws: `CancellationError` as soon as the task is cancelled, also when the cancel came
///   after the time was up but before the task ran again (as in asyncio); `LoopError.invalidDuration`
///   for NaN or infinite durations. Negative durations count as zero.
public func sleep(_ seconds: Double) async throws {
    let seconds = try checkedDuration(seconds)
    if seconds == 0 {
        EventLoop.current?.noteWait(.ready)
        await Task.yield()
        if Task.isCancelled {
            EventLoop.current?.noteCancelDelivered(in: "sleep(0)")
            throw CancellationError()
        }
        return
    }
    if let loop = EventLoop.current {
        try await loop.sleepOnLoop(seconds)
    } else {
        try await Task.sleep(nanoseconds: seconds.asNanos)
    }
}

/// Errors the loop and its tasks raise for misuse, as asyncio raises `RuntimeError` or
/// `InvalidStateError`.
public enum LoopError: Error, Equatable, CustomStringConvertible {
    /// `run` or `runUntilComplete` was called from a task of a running loop.
    case runningInsideLoop
    /// The loop is already running.
    case alreadyRunning
    /// The loop is closed; nothing more can be scheduled on it.
    case closed
    /// The loop is running and cannot be closed now.
    case closeWhileRunning
    /// The loop stopped before the awaited work completed.
    case stoppedBeforeComplete
    /// `result()` or `exception()` of a task that has not finished.
    case invalidState(String)
    /// A duration that is NaN or infinite.
    case invalidDuration(Double)
    /// A call that must be made on a loop's thread was made elsewhere.
    case notOnLoop(String)
    /// A blocking wait for a result ran out of time (seconds).
    case timedOut(Double)

    public var description: String {
        switch self {
        case .runningInsideLoop: "cannot run an event loop from a task of a running loop"
        case .alreadyRunning: "this event loop is already running"
        case .closed: "the event loop is closed"
        case .closeWhileRunning: "cannot close a running event loop"
        case .stoppedBeforeComplete: "the event loop stopped before the work completed"
        case .invalidState(let what): "invalid state: \(what)"
        case .invalidDuration(let value): "invalid duration \(value): must be a finite number of seconds"
        case .notOnLoop(let what): "\(what) must be called from a task or callback of an event loop"
        case .timedOut(let seconds): "timed out after \(seconds) s waiting for the result"
        }
    }
}

/// Checks a duration in seconds: NaN and infinities are errors, negatives count as zero
/// (as asyncio's `sleep(-1)` returns at once).
func checkedDuration(_ seconds: Double) throws -> Double {
    guard seconds.isFinite else { throw LoopError.invalidDuration(seconds) }
    return max(0, seconds)
}

/// Misuse of the toolkit's primitives and combinators, as asyncio raises `RuntimeError` and
/// `ValueError` for them.
public enum ToolkitError: Error, Equatable, CustomStringConvertible {
    /// `release()` of a lock that is not locked (asyncio: "Lock is not acquired.").
    case lockNotHeld(String)
    /// `release()` of a bounded semaphore beyond its initial value.
    case overReleased(String)
    /// `wait`, `notify` or `notifyAll` of a condition whose lock the caller does not hold.
    case conditionLockNotHeld(String)
    /// `taskDone()` called more times than items were put.
    case taskDoneTooManyTimes(String)
    /// A negative time-out: asyncio treats it as zero, asynctop refuses it as the bug it
    /// almost always is.
    case negativeTimeout(Double)
    /// A negative initial value for a semaphore.
    case negativeValue(Int)
    /// `wait` of an empty set of tasks.
    case emptyWait
    /// `setResult`/`setException` of a future that is already done.
    case futureAlreadyDone(String)

    public var description: String {
        switch self {
        case .lockNotHeld(let what): "\(what) is not acquired: cannot release it"
        case .overReleased(let what): "\(what) released too many times"
        case .conditionLockNotHeld(let what): "\(what): the lock must be held to wait or notify"
        case .taskDoneTooManyTimes(let what): "\(what): taskDone() called too many times"
        case .negativeTimeout(let value): "invalid time-out \(value): must not be negative"
        case .negativeValue(let value): "invalid semaphore value \(value): must not be negative"
        case .emptyWait: "wait of an empty set of tasks"
        case .futureAlreadyDone(let what): "\(what) is already done"
        }
    }
}

/// The deadline of `waitFor`, `withTimeout` or `asCompleted` passed: asyncio's `TimeoutError`.
public struct TimeoutError: Error, Equatable, CustomStringConvertible {
    /// The time-out, in seconds.
    public let seconds: Double
    public init(seconds: Double) { self.seconds = seconds }
    public var description: String { "timed out after \(seconds)s" }
}

/// `getNowait()` of an empty queue: asyncio's `QueueEmpty`.
public struct QueueEmpty: Error, Equatable, CustomStringConvertible {
    /// The queue, as "Queue jobs".
    public let queue: String
    public init(queue: String) { self.queue = queue }
    public var description: String { "\(queue) is empty" }
}

/// `putNowait()` of a full queue: asyncio's `QueueFull`.
public struct QueueFull: Error, Equatable, CustomStringConvertible {
    /// The queue, as "Queue jobs".
    public let queue: String
    public init(queue: String) { self.queue = queue }
    public var description: String { "\(queue) is full" }
}

/// `put` after `shutdown()`, or `get` of a shut-down queue that is empty: asyncio 3.13's `QueueShutDown`.
public struct QueueShutDown: Error, Equatable, CustomStringConvertible {
    /// The queue, as "Queue jobs".
    public let queue: String
    public init(queue: String) { self.queue = queue }
    public var description: String { "\(queue) is shut down" }
}

/// Checks an optional time-out: nil means none; negatives, NaN and infinities are errors.
func checkedTimeout(_ seconds: Double?) throws -> Double? {
    guard let seconds else { return nil }
    if seconds < 0 { throw ToolkitError.negativeTimeout(seconds) }
    return try checkedDuration(seconds)
}

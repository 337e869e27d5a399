import AsyncTopModel

/// The state of a ``Semaphore``: the permits left, the tasks holding one (for the resources
/// view) and the waiters, in FIFO order. Pure: its methods say what to resume, and
/// ``Semaphore`` resumes it once its mutex is released.
struct SemaphoreStateMachine<Continuation>: HandOffStateMachine {
    /// The initial value: a bounded semaphore never goes beyond it.
    let initial: Int
    let bounded: Bool
    private(set) var value: Int
    /// Tasks of the loop holding a permit, for the resources view. A permit has no owner
    /// (any task or thread may release it), so a release takes out the releasing task if it
    /// holds one, else a holder off the loop, else the earliest holder.
    private(set) var holders: [TaskID] = []
    /// Permits held off the loop (threads, other executors), who are not shown.
    private(set) var anonymousHolders = 0
    var waiters = Waiters<Continuation>()

    init(value: Int, bounded: Bool) {
        self.initial = value
        self.bounded = bounded
        self.value = value
    }

    /// What `release(by:title:)` says to do.
    enum ReleaseAction {
        /// The permit passed to this waiter: resume it.
        case resume(Continuation)
        /// Nobody waited: the permit is back.
        case returned
    }

    /// `task` takes a permit if any is left.
    mutating func take(by task: TaskID) -> Bool {
        guard value > 0 else { return false }
        value -= 1
        hold(task)
        return true
    }

    /// `task` returns a permit, which goes to the longest waiter if any.
    ///
    /// - Throws: `ToolkitError.overReleased(title)` when bounded and already at its initial value.
    mutating func release(by task: TaskID, title: String) throws(ToolkitError) -> ReleaseAction {
        if bounded && value >= initial { throw ToolkitError.overReleased(title) }
        if task != 0, let index = holders.lastIndex(of: task) {
            holders.swapAt(index, holders.count - 1)
            holders.removeLast()
        } else if anonymousHolders > 0 {
            anonymousHolders -= 1
        } else if !holders.isEmpty {
            holders.removeFirst()
        }
        if let next = waiters.popFirst() {
            hold(next.task)
            return .resume(next.continuation)
        }
        value += 1
        return .returned
    }

    private mutating func hold(_ task: TaskID) {
        if task != 0 { holders.append(task) } else { anonymousHolders += 1 }
    }
}

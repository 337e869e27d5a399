import AsyncTopModel
import DequeModule

/// The order a queue returns its items in.
@usableFromInline
enum QueueOrder<Element> {
    case fifo, lifo
    /// Smallest first, by this "less than": a binary heap in the items' deque.
    case priority(@Sendable (Element, Element) -> Bool)
}

extension QueueOrder: Sendable {}

/// The state of a ``Queue``: its items, the unfinished count for `join`, the shutdown flag,
/// and its getters, putters and joiners, each in FIFO order. Pure: its methods say what to
/// resume, and ``Queue`` resumes it once its mutex is released.
@usableFromInline
struct QueueStateMachine<Element, Continuation> {
    /// The capacity; 0 or less means unbounded.
    @usableFromInline let maxsize: Int
    @usableFromInline let order: QueueOrder<Element>
    /// "Queue <name>", as errors say it.
    @usableFromInline let title: String
    @usableFromInline var items: Deque<Element> = []
    @usableFromInline var getters = Waiters<Continuation>()
    @usableFromInline var putters = Waiters<Continuation>()
    @usableFromInline var joiners = Waiters<Continuation>()
    /// Items put and not yet marked done.
    @usableFromInline var unfinished = 0
    @usableFromInline var isShutDown = false

    @usableFromInline
    init(maxsize: Int, order: QueueOrder<Element>, title: String) {
        self.maxsize = maxsize
        self.order = order
        self.title = title
    }

    /// What `offer(_:)` says to do.
    @usableFromInline
    enum OfferAction {
        /// The item is in; resume this getter if any.
        case done(resume: Continuation?)
        /// The queue is full: park as the putter `token`, then offer again.
        case suspend(token: UInt64)
    }

    /// What `take()` says to do.
    @usableFromInline
    enum TakeAction {
        /// Here is the item; resume this putter if any (a slot came free).
        case item(Element, resume: Continuation?)
        /// The queue is empty: park as the getter `token`, then take again.
        case suspend(token: UInt64)
    }

    /// What `shutdown(immediate:)` says to do.
    struct ShutdownAction {
        /// To resume: they take again, and find an item or the shutdown.
        var getters: [Continuation] = []
        /// To fail with `QueueShutDown`.
        var putters: [Continuation] = []
        /// To resume: every item is done.
        var joiners: [Continuation] = []
    }

    @inlinable var isFull: Bool { maxsize > 0 && items.count >= maxsize }

    // MARK: Putting

    /// Puts `item` unless the queue is full.
    ///
    /// - Throws: `QueueShutDown` after `shutdown(immediate:)`.
    @inlinable
    mutating func offer(_ item: Element) throws(QueueShutDown) -> OfferAction {
        if isShutDown { throw QueueShutDown(queue: title) }
        if isFull { return .suspend(token: putters.makeToken()) }
        push(item)
        unfinished += 1
        return .done(resume: getters.popFirst()?.continuation)
    }

    /// Parks `continuation` as the putter `token` of `task`, unless the queue was shut down
    /// (failure), a slot came free (success: offer again) or the task is `cancelled`
    /// (failure); nil when parked.
    mutating func parkPutter(_ continuation: Continuation, token: UInt64, task: TaskID,
                             cancelled: Bool) -> Result<Void, any Error>? {
        if isShutDown { return .failure(QueueShutDown(queue: title)) }
        if items.count < maxsize { return .success(()) }
        return putters.enqueue(continuation, token: token, task: task, cancelled: cancelled)
    }

    /// Takes the cancelled putter `token` out; nil when a free slot woke it already.
    mutating func withdrawPutter(_ token: UInt64) -> Continuation? {
        putters.remove(token)?.continuation
    }

    /// A putter woken for a free slot was cancelled: the next putter is to resume instead,
    /// if the slot is still free.
    mutating func passOnSlot() -> Continuation? {
        items.count < maxsize ? putters.popFirst()?.continuation : nil
    }

    // MARK: Getting

    /// Takes the next item unless the queue is empty.
    ///
    /// - Throws: `QueueShutDown` when the queue is shut down and empty.
    @inlinable
    mutating func take() throws(QueueShutDown) -> TakeAction {
        if let item = pop() { return .item(item, resume: putters.popFirst()?.continuation) }
        if isShutDown { throw QueueShutDown(queue: title) }
        return .suspend(token: getters.makeToken())
    }

    /// Parks `continuation` as the getter `token` of `task`, unless an item came or the queue
    /// was shut down (success: take again) or the task is `cancelled` (failure); nil when parked.
    mutating func parkGetter(_ continuation: Continuation, token: UInt64, task: TaskID,
                             cancelled: Bool) -> Result<Void, any Error>? {
        if !items.isEmpty || isShutDown { return .success(()) }
        return getters.enqueue(continuation, token: token, task: task, cancelled: cancelled)
    }

    /// Takes the cancelled getter `token` out; nil when an item woke it already.
    mutating func withdrawGetter(_ token: UInt64) -> Continuation? {
        getters.remove(token)?.continuation
    }

    /// A getter woken for an item was cancelled: the next getter is to resume instead, if
    /// an item is still there.
    mutating func passOnItem() -> Continuation? {
        !items.isEmpty ? getters.popFirst()?.continuation : nil
    }

    // MARK: Processing and shutdown

    /// Marks one item done: every joiner is to resume once none is left unfinished.
    ///
    /// - Throws: `ToolkitError.taskDoneTooManyTimes` when no item is unfinished.
    mutating func taskDone() throws(ToolkitError) -> [Continuation] {
        guard unfinished > 0 else { throw ToolkitError.taskDoneTooManyTimes(title) }
        unfinished -= 1
        return unfinished == 0 ? joiners.removeAll().map(\.continuation) : []
    }

    /// A task asks to join: it goes on when no item is unfinished, or is to park.
    mutating func join() -> ArrivalAction {
        unfinished == 0 ? .proceed : .suspend(token: joiners.makeToken())
    }

    /// Parks `continuation` as the joiner `token` of `task`, unless every item was done since
    /// `join()` (success) or the task is `cancelled` (failure); nil when parked.
    mutating func parkJoiner(_ continuation: Continuation, token: UInt64, task: TaskID,
                             cancelled: Bool) -> Result<Void, any Error>? {
        if unfinished == 0 { return .success(()) }
        return joiners.enqueue(continuation, token: token, task: task, cancelled: cancelled)
    }

    /// Takes the cancelled joiner `token` out; nil when the last `taskDone()` woke it already.
    mutating func withdrawJoiner(_ token: UInt64) -> Continuation? {
        joiners.remove(token)?.continuation
    }

    /// Shuts the queue down; with `immediate`, drops the items left, which count as done.
    mutating func shutdown(immediate: Bool) -> ShutdownAction {
        isShutDown = true
        var action = ShutdownAction()
        if immediate {
            unfinished = max(0, unfinished - items.count)
            items.removeAll()
            if unfinished == 0 { action.joiners = joiners.removeAll().map(\.continuation) }
        }
        action.getters = getters.removeAll().map(\.continuation)
        action.putters = putters.removeAll().map(\.continuation)
        return action
    }

    // MARK: Order

    @inlinable
    mutating func push(_ item: Element) {
        items.append(item)
        if case .priority(let less) = order {
            var child = items.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard less(items[child], items[parent]) else { break }
                items.swapAt(child, parent)
                child = parent
            }
        }
    }

    @inlinable
    mutating func pop() -> Element? {
        switch order {
        case .fifo: return items.popFirst()
        case .lifo: return items.popLast()
        case .priority(let less):
            guard !items.isEmpty else { return nil }
            items.swapAt(0, items.count - 1)
            let top = items.removeLast()
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count && less(items[left], items[smallest]) { smallest = left }
                if right < items.count && less(items[right], items[smallest]) { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
            return top
        }
    }
}

extension QueueStateMachine: Sendable where Element: Sendable, Continuation: Sendable {}

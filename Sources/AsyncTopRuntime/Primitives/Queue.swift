import AsyncTopModel
import DequeModule
import AsyncTopSync

/// A queue of items between tasks: asyncio's `Queue` (FIFO), and the base of ``LifoQueue``
/// and ``PriorityQueue``.
///
/// With `maxsize > 0`, `put` waits while the queue is full (back-pressure). As in asyncio,
/// `put` and `get` complete without suspending when they can. `taskDone` and `join` track
/// the processing of items; `shutdown` (Python 3.13) ends the queue.
///
/// Every wait is cancellable at once: a cancelled getter loses no item, a cancelled putter
/// adds none.
public class Queue<Element: Sendable>: @unchecked Sendable, DescribesWait, ResourceReporter {
    /// The name shown for tasks waiting on it.
    public let name: String?
    /// The capacity; 0 or less means unbounded.
    public let maxsize: Int
    let id = ResourceID.next()
    /// "Queue <name>", as waits and errors say it.
    @usableFromInline let title: String
    /// "Queue", "LifoQueue" or "PriorityQueue".
    let kind: String

    @usableFromInline typealias Order = QueueOrder<Element>
    @usableFromInline typealias Machine = QueueStateMachine<Element, UnsafeContinuation<Void, any Error>>
    @usableFromInline let state: Locked<Machine>

    /// Creates a FIFO queue holding at most `maxsize` items (0: unbounded).
    public init(maxsize: Int = 0, name: String? = nil) {
        self.maxsize = maxsize
        self.name = name
        self.kind = "Queue"
        self.title = name.map { "Queue \($0)" } ?? "Queue #\(id)"
        self.state = Locked(QueueStateMachine(maxsize: maxsize, order: .fifo, title: title))
        ResourceRegistry.shared.add(self)
    }

    init(maxsize: Int, name: String?, order: Order) {
        self.maxsize = maxsize
        self.name = name
        let kind = switch order { case .fifo: "Queue"; case .lifo: "LifoQueue"; case .priority: "PriorityQueue" }
        self.kind = kind
        self.title = name.map { "\(kind) \($0)" } ?? "\(kind) #\(id)"
        self.state = Locked(QueueStateMachine(maxsize: maxsize, order: order, title: title))
        ResourceRegistry.shared.add(self)
    }


    var waitTarget: WaitTarget { .resource(kind: kind, id: id, name: name) }

    var resourceInfo: ResourceInfo {
        state.withLock { state in
            var detail = "\(state.items.count) items"
            if maxsize > 0 { detail += ", maxsize \(maxsize)" }
            if state.unfinished > 0 { detail += ", \(state.unfinished) unfinished" }
            if state.isShutDown { detail += ", shut down" }
            return ResourceInfo(id: id, kind: kind, name: name, holders: [],
                                waiters: state.getters.tasks + state.putters.tasks + state.joiners.tasks, detail: detail)
        }
    }

    /// The number of items in the queue.
    public final var count: Int { state.withLock { $0.items.count } }
    /// True when the queue holds no item.
    public final var isEmpty: Bool { state.withLock { $0.items.isEmpty } }
    /// True when `maxsize` items are in the queue.
    public final var isFull: Bool { maxsize > 0 && state.withLock { $0.isFull } }
    /// True once `shutdown()` was called.
    public final var isShutDown: Bool { state.withLock { $0.isShutDown } }

    // MARK: Putting

    /// Puts an item, waiting while the queue is full.
    ///
    /// - Throws: `QueueShutDown` after `shutdown()` (also for a putter waiting then);
    ///   `CancellationError` as soon as the waiting task is cancelled (the item is not put).
    @inlinable @inline(__always)
    public final func put(_ item: Element) async throws {
        // Inlined whole into the caller, as `get()`: a call of a separate async function
        // costs an executor check per item, which halves a pipeline's rate.
        while true {
            let action = try state.withLock { state throws -> Machine.OfferAction in try state.offer(item) }
            switch action {
            case .done(let getter):
                getter?.resume()
                return
            case .suspend(let token):
                try await parkPutter(token)
            }
        }
    }

    /// Puts an item without waiting.
    ///
    /// - Throws: `QueueFull` when the queue is full; `QueueShutDown` after `shutdown()`.
    @inlinable
    public final func putNowait(_ item: Element) throws {
        let action = try state.withLock { state throws(QueueShutDown) in try state.offer(item) }
        guard case .done(let getter) = action else { throw QueueFull(queue: title) }
        getter?.resume()
    }

    @usableFromInline
    final func parkPutter(_ token: UInt64) async throws {
        let me = runningTaskID()
        let loop = EventLoop.current
        // Woken for a free slot as the cancellation came: pass the wake-up on.
        try await parkForHandOff(guardedBy: state, visibleAs: self, on: loop, delivered: title + ": put") { continuation in
            state.withLock { $0.parkPutter(continuation, token: token, task: me, cancelled: Task.isCancelled) }
        } withdraw: { [self] in
            state.withLock { $0.withdrawPutter(token) }
        } passOn: {
            state.withLock { $0.passOnSlot() }?.resume()
        }
    }

    // MARK: Getting

    /// Removes and returns an item, waiting while the queue is empty.
    ///
    /// - Throws: `QueueShutDown` when the queue is shut down and empty; `CancellationError`
    ///   as soon as the waiting task is cancelled (no item is taken).
    @inlinable @inline(__always)
    public final func get() async throws -> Element {
        while true {
            let action = try state.withLock { state throws -> Machine.TakeAction in try state.take() }
            switch action {
            case .item(let item, let putter):
                putter?.resume()
                return item
            case .suspend(let token):
                try await parkGetter(token)
            }
        }
    }

    /// Removes and returns an item without waiting.
    ///
    /// - Throws: `QueueEmpty` when the queue is empty; `QueueShutDown` when it is also shut down.
    @inlinable
    public final func getNowait() throws -> Element {
        let action = try state.withLock { state throws(QueueShutDown) in try state.take() }
        guard case .item(let item, let putter) = action else { throw QueueEmpty(queue: title) }
        putter?.resume()
        return item
    }

    @usableFromInline
    final func parkGetter(_ token: UInt64) async throws {
        let me = runningTaskID()
        let loop = EventLoop.current
        // Woken for an item as the cancellation came: leave it to the next getter.
        try await parkForHandOff(guardedBy: state, visibleAs: self, on: loop, delivered: title + ": get") { continuation in
            state.withLock { $0.parkGetter(continuation, token: token, task: me, cancelled: Task.isCancelled) }
        } withdraw: { [self] in
            state.withLock { $0.withdrawGetter(token) }
        } passOn: {
            state.withLock { $0.passOnItem() }?.resume()
        }
    }

    // MARK: Processing and shutdown

    /// Marks one item taken with `get` as processed; `join` returns once every item put is.
    ///
    /// - Throws: `ToolkitError.taskDoneTooManyTimes` when called more times than items were put.
    public final func taskDone() throws {
        for joiner in try state.withLock({ state throws(ToolkitError) in try state.taskDone() }) { joiner.resume() }
    }

    /// Waits until every item put was marked done with `taskDone`.
    ///
    /// - Throws: `CancellationError` as soon as the waiting task is cancelled.
    public final func join() async throws {
        let me = runningTaskID()
        guard case .suspend(let token) = state.withLock({ $0.join() }) else { return }
        let loop = EventLoop.current
        try await park(guardedBy: state, visibleAs: self, on: loop, delivered: title + ": join") { continuation in
            state.withLock { $0.parkJoiner(continuation, token: token, task: me, cancelled: Task.isCancelled) }
        } onCancel: { [self] in
            state.withLock { $0.withdrawJoiner(token) }?.resume(throwing: CancellationError())
        }
    }

    /// Shuts the queue down (Python 3.13): `put` fails from now on, waiting putters fail,
    /// and `get` fails once the queue is empty. With `immediate`, the items left are dropped
    /// (and count as done for `join`), so waiting getters fail at once.
    public final func shutdown(immediate: Bool = false) {
        let action = state.withLock { $0.shutdown(immediate: immediate) }
        for getter in action.getters { getter.resume() }
        for putter in action.putters { putter.resume(throwing: QueueShutDown(queue: title)) }
        for joiner in action.joiners { joiner.resume() }
    }
}

/// A queue that returns the most recently put item first: asyncio's `LifoQueue`.
public final class LifoQueue<Element: Sendable>: Queue<Element>, @unchecked Sendable {
    /// Creates a LIFO queue holding at most `maxsize` items (0: unbounded).
    public override init(maxsize: Int = 0, name: String? = nil) {
        super.init(maxsize: maxsize, name: name, order: .lifo)
    }
}

/// A queue that returns the smallest item first: asyncio's `PriorityQueue`. Items of equal
/// priority come out in no particular order; put `(priority, sequence, item)`-like values
/// to make it stable.
public final class PriorityQueue<Element: Sendable & Comparable>: Queue<Element>, @unchecked Sendable {
    /// Creates a priority queue holding at most `maxsize` items (0: unbounded).
    public override init(maxsize: Int = 0, name: String? = nil) {
        super.init(maxsize: maxsize, name: name, order: .priority { $0 < $1 })
    }
}

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
public class Queue<Element: Sendable>: @unchecked Sendable, WaitSubject, ResourceReporter {
    /// The name shown for tasks waiting on it.
    public let name: String?
    /// The capacity; 0 or less means unbounded.
    public let maxsize: Int
    let id = ResourceID.next()
    @usableFromInline let order: Order
    /// "Queue <name>", as waits and errors say it.
    @usableFromInline let title: String

    @usableFromInline
    enum Order {
        case fifo, lifo
        case priority(@Sendable (Element, Element) -> Bool)
    }

    @usableFromInline
    struct State {
        @usableFromInline var items: Deque<Element> = []
        @usableFromInline var getters = WaiterQueue()
        @usableFromInline var putters = WaiterQueue()
        @usableFromInline var joiners = WaiterQueue()
        @usableFromInline var unfinished = 0
        @usableFromInline var isShutDown = false
        @usableFromInline init() {}
    }
    @usableFromInline let state = Locked(State())

    /// Creates a FIFO queue holding at most `maxsize` items (0: unbounded).
    public init(maxsize: Int = 0, name: String? = nil) {
        self.maxsize = maxsize
        self.name = name
        self.order = .fifo
        self.title = name.map { "Queue \($0)" } ?? "Queue #\(id)"
        ResourceRegistry.shared.add(self)
    }

    init(maxsize: Int, name: String?, order: Order) {
        self.maxsize = maxsize
        self.name = name
        self.order = order
        let kind = switch order { case .fifo: "Queue"; case .lifo: "LifoQueue"; case .priority: "PriorityQueue" }
        self.title = name.map { "\(kind) \($0)" } ?? "\(kind) #\(id)"
        ResourceRegistry.shared.add(self)
    }


    var kind: String {
        switch order {
        case .fifo: "Queue"
        case .lifo: "LifoQueue"
        case .priority: "PriorityQueue"
        }
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
    public final var isFull: Bool { maxsize > 0 && state.withLock { $0.items.count >= maxsize } }
    /// True once `shutdown()` was called.
    public final var isShutDown: Bool { state.withLock { $0.isShutDown } }

    // MARK: Putting

    /// Puts an item, waiting while the queue is full.
    ///
    /// - Throws: `QueueShutDown` after `shutdown()` (also for a putter waiting then);
    ///   `CancellationError` as soon as the waiting task is cancelled (the item is not put).
    @inlinable
    public final func put(_ item: Element) async throws {
        while true {
            let outcome = try state.withLock { state throws -> Outcome in try offer(item, &state) }
            switch outcome {
            case .done(let getter):
                getter?.continuation.resume()
                return
            case .wait(let token):
                try await parkPutter(token)
            }
        }
    }

    /// Puts an item without waiting.
    ///
    /// - Throws: `QueueFull` when the queue is full; `QueueShutDown` after `shutdown()`.
    @inlinable
    public final func putNowait(_ item: Element) throws {
        let outcome = try state.withLock { state throws -> Outcome in try offer(item, &state) }
        guard case .done(let getter) = outcome else { throw QueueFull(queue: title) }
        getter?.continuation.resume()
    }

    @usableFromInline
    enum Outcome {
        case done(Waiter?)
        case wait(UInt64)
    }

    @inlinable
    final func offer(_ item: Element, _ state: inout State) throws -> Outcome {
        if state.isShutDown { throw QueueShutDown(queue: title) }
        if maxsize > 0 && state.items.count >= maxsize { return .wait(state.putters.makeToken()) }
        push(item, &state.items)
        state.unfinished += 1
        return .done(state.getters.popFirst())
    }

    @usableFromInline
    final func parkPutter(_ token: UInt64) async throws {
        let me = runningTaskID()
        let loop = EventLoop.current
        // Woken for a free slot as the cancellation came: pass the wake-up on.
        try await parkForHandOff(guardedBy: state, visibleAs: self, on: loop, delivered: title + ": put") { continuation in
            state.withLock { state in
                if state.isShutDown { return .failure(QueueShutDown(queue: title)) }
                if state.items.count < maxsize { return .success(()) }
                return state.putters.enqueue(continuation, token: token, task: me)
            }
        } withdraw: { [self] in
            state.withLock { $0.putters.remove(token) }
        } passOn: {
            state.withLock { state in state.items.count < maxsize ? state.putters.popFirst() : nil }?.continuation.resume()
        }
    }

    // MARK: Getting

    /// Removes and returns an item, waiting while the queue is empty.
    ///
    /// - Throws: `QueueShutDown` when the queue is shut down and empty; `CancellationError`
    ///   as soon as the waiting task is cancelled (no item is taken).
    @inlinable
    public final func get() async throws -> Element {
        while true {
            let outcome = try state.withLock { state throws -> Taken in try take(&state) }
            switch outcome {
            case .item(let item, let putter):
                putter?.continuation.resume()
                return item
            case .wait(let token):
                try await parkGetter(token)
            }
        }
    }

    /// Removes and returns an item without waiting.
    ///
    /// - Throws: `QueueEmpty` when the queue is empty; `QueueShutDown` when it is also shut down.
    @inlinable
    public final func getNowait() throws -> Element {
        let outcome = try state.withLock { state throws -> Taken in try take(&state) }
        guard case .item(let item, let putter) = outcome else { throw QueueEmpty(queue: title) }
        putter?.continuation.resume()
        return item
    }

    @usableFromInline
    enum Taken {
        case item(Element, Waiter?)
        case wait(UInt64)
    }

    @inlinable
    final func take(_ state: inout State) throws -> Taken {
        if let item = pop(&state.items) { return .item(item, state.putters.popFirst()) }
        if state.isShutDown { throw QueueShutDown(queue: title) }
        return .wait(state.getters.makeToken())
    }

    @usableFromInline
    final func parkGetter(_ token: UInt64) async throws {
        let me = runningTaskID()
        let loop = EventLoop.current
        // Woken for an item as the cancellation came: leave it to the next getter.
        try await parkForHandOff(guardedBy: state, visibleAs: self, on: loop, delivered: title + ": get") { continuation in
            state.withLock { state in
                if !state.items.isEmpty || state.isShutDown { return .success(()) }
                return state.getters.enqueue(continuation, token: token, task: me)
            }
        } withdraw: { [self] in
            state.withLock { $0.getters.remove(token) }
        } passOn: {
            state.withLock { state in !state.items.isEmpty ? state.getters.popFirst() : nil }?.continuation.resume()
        }
    }

    // MARK: Processing and shutdown

    /// Marks one item taken with `get` as processed; `join` returns once every item put is.
    ///
    /// - Throws: `ToolkitError.taskDoneTooManyTimes` when called more times than items were put.
    public final func taskDone() throws {
        let joiners = try state.withLock { state throws -> [Waiter] in
            guard state.unfinished > 0 else { throw ToolkitError.taskDoneTooManyTimes(title) }
            state.unfinished -= 1
            return state.unfinished == 0 ? state.joiners.removeAll() : []
        }
        for joiner in joiners { joiner.continuation.resume() }
    }

    /// Waits until every item put was marked done with `taskDone`.
    ///
    /// - Throws: `CancellationError` as soon as the waiting task is cancelled.
    public final func join() async throws {
        let me = runningTaskID()
        guard let token = state.withLock({ $0.unfinished == 0 ? nil : $0.joiners.makeToken() }) else { return }
        let loop = EventLoop.current
        try await park(guardedBy: state, visibleAs: self, on: loop, delivered: title + ": join") { continuation in
            state.withLock { state in
                if state.unfinished == 0 { return .success(()) }
                return state.joiners.enqueue(continuation, token: token, task: me)
            }
        } onCancel: { [self] in
            state.withLock { $0.joiners.remove(token) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Shuts the queue down (Python 3.13): `put` fails from now on, waiting putters fail,
    /// and `get` fails once the queue is empty. With `immediate`, the items left are dropped
    /// (and count as done for `join`), so waiting getters fail at once.
    public final func shutdown(immediate: Bool = false) {
        let (getters, putters, joiners) = state.withLock { state in
            state.isShutDown = true
            var joiners: [Waiter] = []
            if immediate {
                state.unfinished = max(0, state.unfinished - state.items.count)
                state.items.removeAll()
                if state.unfinished == 0 { joiners = state.joiners.removeAll() }
            }
            return (state.getters.removeAll(), state.putters.removeAll(), joiners)
        }
        for getter in getters { getter.continuation.resume() }
        for putter in putters { putter.continuation.resume(throwing: QueueShutDown(queue: title)) }
        for joiner in joiners { joiner.continuation.resume() }
    }

    // MARK: Order

    @inlinable
    final func push(_ item: Element, _ items: inout Deque<Element>) {
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
    final func pop(_ items: inout Deque<Element>) -> Element? {
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

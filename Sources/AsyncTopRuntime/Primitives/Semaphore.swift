import AsyncTopSync
import AsyncTopModel

/// A counter of permits tasks acquire and release: asyncio's `Semaphore`.
///
/// `acquire()` does not suspend while permits are left and nobody waits; waiters get the
/// released permits in FIFO order. A waiter cancelled while it waits never keeps a permit.
/// ``BoundedSemaphore`` refuses to be released beyond its initial value.
public class Semaphore: @unchecked Sendable, WaitSubject, ResourceReporter {
    /// The name shown for tasks waiting on it.
    public let name: String?
    let id = ResourceID.next()
    /// The initial value, for the bounded kind and the resources view.
    let initial: Int
    let bounded: Bool
    /// "Semaphore <name>", as waits and errors say it.
    let title: String

    struct State {
        var value: Int
        var holders: [TaskID] = []
        var waiters = WaiterQueue()
    }
    let state: Locked<State>

    /// Creates a semaphore with `value` permits.
    ///
    /// - Throws: `ToolkitError.negativeValue` for a negative value.
    public convenience init(_ value: Int = 1, name: String? = nil) throws {
        try self.init(value: value, name: name, bounded: false)
    }

    init(value: Int, name: String?, bounded: Bool) throws {
        guard value >= 0 else { throw ToolkitError.negativeValue(value) }
        self.name = name
        self.initial = value
        self.bounded = bounded
        let kind = bounded ? "BoundedSemaphore" : "Semaphore"
        self.title = name.map { "\(kind) \($0)" } ?? "\(kind) #\(id)"
        self.state = Locked(State(value: value))
        ResourceRegistry.shared.add(self)
    }


    var kind: String { bounded ? "BoundedSemaphore" : "Semaphore" }
    var waitTarget: WaitTarget { .resource(kind: kind, id: id, name: name) }

    var resourceInfo: ResourceInfo {
        state.withLock { state in
            ResourceInfo(id: id, kind: kind, name: name, holders: state.holders, waiters: state.waiters.tasks,
                         detail: "\(state.value)/\(initial) permits")
        }
    }

    /// The permits left.
    public final var value: Int { state.withLock { $0.value } }

    /// True when `acquire()` would suspend.
    public final var locked: Bool { state.withLock { $0.value == 0 || !$0.waiters.isEmpty } }

    /// Takes a permit, waiting in FIFO order while none is left.
    ///
    /// - Throws: `CancellationError` as soon as the waiting task is cancelled; it then holds no permit.
    public final func acquire() async throws {
        let me = runningTaskID()
        let token: UInt64? = state.withLock { state in
            if state.value > 0 {
                state.value -= 1
                if me != 0 { state.holders.append(me) }
                return nil
            }
            return state.waiters.makeToken()
        }
        guard let token else { return }
        let loop = EventLoop.current
        // Handed a permit as the cancellation came: give it back (release).
        try await parkForHandOff(guardedBy: state, visibleAs: self, on: loop, delivered: title) { continuation in
            state.withLock { state in
                if state.value > 0 {
                    state.value -= 1
                    if me != 0 { state.holders.append(me) }
                    return .success(())
                }
                return state.waiters.enqueue(continuation, token: token, task: me)
            }
        } withdraw: { [self] in
            state.withLock { $0.waiters.remove(token) }
        } passOn: {
            try? release()
        }
    }

    /// Returns a permit, handing it to the longest waiter if any.
    ///
    /// - Throws: `ToolkitError.overReleased` for a ``BoundedSemaphore`` already at its initial value.
    public final func release() throws {
        let me = runningTaskID()
        let next: Waiter? = try state.withLock { state throws -> Waiter? in
            if bounded && state.value >= initial { throw ToolkitError.overReleased(title) }
            if let index = state.holders.lastIndex(of: me) {
                state.holders.swapAt(index, state.holders.count - 1)
                state.holders.removeLast()
            } else if !state.holders.isEmpty {
                state.holders.removeFirst()
            }
            if let next = state.waiters.popFirst() {
                if next.task != 0 { state.holders.append(next.task) }
                return next
            }
            state.value += 1
            return nil
        }
        next?.continuation.resume()
    }

    /// Runs `body` holding a permit: `async with semaphore:`. Releases it on return, error
    /// and cancellation.
    public final func withPermit<T>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { try? release() }
        return try await body()
    }
}

/// A semaphore that cannot be released beyond its initial value: asyncio's `BoundedSemaphore`.
public final class BoundedSemaphore: Semaphore, @unchecked Sendable {
    /// Creates a bounded semaphore with `value` permits.
    ///
    /// - Throws: `ToolkitError.negativeValue` for a negative value.
    public init(_ value: Int = 1, name: String? = nil) throws {
        try super.init(value: value, name: name, bounded: true)
    }
}

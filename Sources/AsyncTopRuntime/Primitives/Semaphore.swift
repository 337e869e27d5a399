import AsyncTopSync
import AsyncTopModel

/// A counter of permits tasks acquire and release: asyncio's `Semaphore`.
///
/// `acquire()` does not suspend while permits are left and nobody waits; waiters get the
/// released permits in FIFO order. A waiter cancelled while it waits never keeps a permit.
/// ``BoundedSemaphore`` refuses to be released beyond its initial value.
public class Semaphore: @unchecked Sendable, DescribesWait, ResourceReporter {
    /// The name shown for tasks waiting on it.
    public let name: String?
    let id = ResourceID.next()
    /// The initial value, for the resources view.
    let initial: Int
    let bounded: Bool
    /// "Semaphore <name>", as waits and errors say it.
    let title: String

    let state: Locked<SemaphoreStateMachine<UnsafeContinuation<Void, any Error>>>

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
        self.state = Locked(SemaphoreStateMachine(value: value, bounded: bounded))
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
        guard case .suspend(let token) = state.withLock({ $0.acquire(by: me) }) else { return }
        let loop = EventLoop.current
        // Handed a permit as the cancellation came: give it back (release).
        try await parkForHandOff(guardedBy: state, visibleAs: self, on: loop, delivered: title) { continuation in
            state.withLock { $0.park(continuation, token: token, task: me, cancelled: Task.isCancelled) }
        } withdraw: { [self] in
            state.withLock { $0.withdraw(token) }
        } passOn: {
            try? release()
        }
    }

    /// Returns a permit, handing it to the longest waiter if any.
    ///
    /// - Throws: `ToolkitError.overReleased` for a ``BoundedSemaphore`` already at its initial value.
    public final func release() throws {
        let me = runningTaskID()
        if case .resume(let next) = try state.withLock({ try $0.release(by: me, title: title) }) { next.resume() }
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

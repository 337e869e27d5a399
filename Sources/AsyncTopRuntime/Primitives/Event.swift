import AsyncTopSync
import AsyncTopModel

/// A flag tasks can wait for: asyncio's `Event`. Every wait is cancellable and shows in the
/// dashboard as "Event <name>".
public final class Event: Sendable, DescribesWait, ResourceReporter {
    /// The name shown for tasks waiting on it.
    public let name: String?
    let id = ResourceID.next()
    /// "Event <name>", as the cancellation's place says it.
    let title: String

    let state = Locked(EventStateMachine<UnsafeContinuation<Void, any Error>>())

    public init(name: String? = nil) {
        self.name = name
        self.title = name.map { "Event \($0)" } ?? "Event #\(id)"
        ResourceRegistry.shared.add(self)
    }


    /// True once `set()` was called and not cleared since.
    public var isSet: Bool { state.withLock { $0.isSet } }

    /// The number of tasks waiting.
    public var waiterCount: Int { state.withLock { $0.waiters.count } }

    var waitTarget: WaitTarget { .resource(kind: "Event", id: id, name: name) }

    var resourceInfo: ResourceInfo {
        state.withLock { state in
            ResourceInfo(id: id, kind: "Event", name: name, waiters: state.waitingTasks,
                         detail: state.isSet ? "set" : "clear")
        }
    }

    /// Sets the flag and wakes every waiting task, in the order they began to wait.
    public func set() {
        for continuation in state.withLock({ $0.set() }) { continuation.resume() }
    }

    /// Clears the flag; later waits suspend again.
    public func clear() { state.withLock { $0.clear() } }

    /// Waits until the flag is set; returns at once when it is.
    ///
    /// - Throws: `CancellationError` as soon as the waiting task is cancelled, also when the
    ///   cancel came after the flag was set but before the task ran again (as in asyncio).
    public func wait() async throws {
        guard case .suspend(let token) = state.withLock({ $0.wait() }) else { return }
        let loop = EventLoop.current
        let me = loop?.currentID ?? 0
        try await park(guardedBy: state, visibleAs: self, on: loop, delivered: title) { continuation in
            state.withLock { $0.park(continuation, token: token, task: me, cancelled: Task.isCancelled) }
        } onCancel: { [self] in
            state.withLock { $0.withdraw(token) }?.resume(throwing: CancellationError())
        }
        // Cancelled after the flag was set but before this task ran again: the cancel wins,
        // as in asyncio (the flag stays set; nothing was handed to this waiter alone).
        if Task.isCancelled {
            loop?.noteCancelDelivered(in: title)
            throw CancellationError()
        }
    }
}

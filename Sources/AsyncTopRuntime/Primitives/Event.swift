import AsyncTopSync
import AsyncTopModel

/// A flag tasks can wait for: asyncio's `Event`. Every wait is cancellable and shows in the
/// dashboard as "Event <name>".
public final class Event: Sendable, WaitSubject, ResourceReporter {
    /// The name shown for tasks waiting on it.
    public let name: String?
    let id = ResourceID.next()
    /// "Event <name>", as the cancellation's place says it.
    let title: String

    struct State {
        var isSet = false
        var waiters: [UInt64: (task: TaskID, continuation: UnsafeContinuation<Void, any Error>)] = [:]
        var nextToken: UInt64 = 0
    }
    let state = Locked(State())

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
            // Tokens grow with time: sorted, they give the order the tasks began to wait.
            ResourceInfo(id: id, kind: "Event", name: name, waiters: state.waiters.sorted { $0.key < $1.key }.map(\.value.task),
                         detail: state.isSet ? "set" : "clear")
        }
    }

    /// Sets the flag and wakes every waiting task, in the order they began to wait.
    public func set() {
        let woken = state.withLock { state -> [UnsafeContinuation<Void, any Error>] in
            state.isSet = true
            defer { state.waiters = [:] }
            return state.waiters.sorted { $0.key < $1.key }.map(\.value.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Clears the flag; later waits suspend again.
    public func clear() { state.withLock { $0.isSet = false } }

    /// Waits until the flag is set; returns at once when it is.
    ///
    /// - Throws: `CancellationError` as soon as the waiting task is cancelled.
    public func wait() async throws {
        if isSet { return }
        let loop = EventLoop.current
        let me = loop?.currentID ?? 0
        loop?.noteWait(.subject(self))
        let token = state.withLock { state -> UInt64 in
            state.nextToken &+= 1
            return state.nextToken
        }
        defer { loop?.clearWait() }
        defer { state.fence() }
        do {
            try await withTaskCancellationHandler {
                try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                    let resumeNow: Result<Void, any Error>? = state.withLock { state in
                        if state.isSet { return .success(()) }
                        if Task.isCancelled { return .failure(CancellationError()) }
                        state.waiters[token] = (me, continuation)
                        return nil
                    }
                    if let resumeNow { continuation.resume(with: resumeNow) }
                }
            } onCancel: {
                state.withLock { $0.waiters.removeValue(forKey: token) }?.continuation.resume(throwing: CancellationError())
            }
        } catch {
            loop?.noteCancelDelivered(in: title)
            throw error
        }
    }
}

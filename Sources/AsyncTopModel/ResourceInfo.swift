/// A synchronization primitive, queue or future as a snapshot shows it: tokio-console's
/// resources view. Tasks holding it and tasks waiting on it, by id.
public struct ResourceInfo: Hashable, Codable, Sendable, Identifiable {
    /// The id tasks' `WaitTarget.resource(kind:id:name:)` refers to.
    public var id: UInt64
    /// "Lock", "Semaphore", "Queue", "Future"…
    public var kind: String
    public var name: String?
    /// Tasks holding it (the lock's owner, the semaphore's permit holders), oldest first.
    public var holders: [TaskID]
    /// Tasks waiting on it, in the order they began to wait.
    public var waiters: [TaskID]
    /// A short state: "3/5 permits", "12 items, maxsize 100", "locked", "set".
    public var detail: String

    public init(id: UInt64, kind: String, name: String? = nil, holders: [TaskID] = [], waiters: [TaskID] = [],
                detail: String = "") {
        self.id = id
        self.kind = kind
        self.name = name
        self.holders = holders
        self.waiters = waiters
        self.detail = detail
    }

    /// "Semaphore crawl-limit" or "Lock #12", as `WaitTarget` describes it.
    public var title: String { name.map { "\(kind) \($0)" } ?? "\(kind) #\(id)" }
}

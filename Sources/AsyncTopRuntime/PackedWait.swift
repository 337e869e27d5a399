import AsyncTopModel

/// Something a task can wait on that describes itself, as a `WaitTarget`, when a snapshot
/// is taken: a primitive, a queue, a future, a work item. Its description may change
/// (waiter counts).
protocol DescribesWait: AnyObject, Sendable {
    var waitTarget: WaitTarget { get }
}

/// What a task waits on, packed as the registry keeps it: 16 bytes where the `WaitTarget`
/// it describes takes 48, and nothing to allocate or copy on the hot path.
enum PackedWait: Equatable {
    case unknown
    case ready
    case sleep(until: Nanos)
    case task(TaskID)
    case children(Int)
    case subject(AnyObject)

    static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.unknown, .unknown), (.ready, .ready): true
        case (.sleep(let x), .sleep(let y)): x == y
        case (.task(let x), .task(let y)): x == y
        case (.children(let x), .children(let y)): x == y
        case (.subject(let x), .subject(let y)): x === y
        default: false
        }
    }

    /// The model's description of the wait.
    var target: WaitTarget {
        switch self {
        case .unknown: .unknown
        case .ready: .ready
        case .sleep(let until): .sleep(until: until)
        case .task(let id): .task(id)
        case .children(let count): .children(count: count)
        case .subject(let subject): (subject as? any DescribesWait)?.waitTarget ?? .unknown
        }
    }
}

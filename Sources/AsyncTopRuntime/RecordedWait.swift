import AsyncTopModel

/// Something a task can wait on that describes itself when a snapshot is taken: a
/// primitive, a queue, a future, a work item. Its description may change (waiter counts).
protocol WaitSubject: AnyObject, Sendable {
    var waitTarget: WaitTarget { get }
    /// Whether waiting on `other` right after this is the same wait, for the history (two
    /// calls to the same thread pool are; two different locks are not). Default: identity.
    func continuesWait(of other: AnyObject) -> Bool
}

extension WaitSubject {
    func continuesWait(of other: AnyObject) -> Bool { other === self }
}

/// What a task waits on, as the registry keeps it: 16 bytes where a `WaitTarget` takes 48,
/// and nothing to allocate or copy on the hot path.
enum RecordedWait: Equatable {
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

    /// Whether `next` is the same wait as this one, as far as the history is concerned:
    /// successive sleeps are one "sleeping" period, awaits of the same task or subject too.
    /// The history records a transition only when this is false, which keeps a task that
    /// sleeps in a loop from formatting a description on every step.
    func continues(_ next: RecordedWait) -> Bool {
        switch (self, next) {
        case (.unknown, .unknown), (.ready, .ready), (.sleep, .sleep), (.children, .children): true
        case (.task(let a), .task(let b)): a == b
        case (.subject(let a), .subject(let b)): (a as? any WaitSubject)?.continuesWait(of: b) ?? (a === b)
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
        case .subject(let subject): (subject as? any WaitSubject)?.waitTarget ?? .unknown
        }
    }
}

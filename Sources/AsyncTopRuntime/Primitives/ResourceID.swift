import Synchronization

/// Ids for the primitives, queues and futures the loop shows as things tasks wait on.
enum ResourceID {
    private static let counter = Atomic<UInt64>(0)

    static func next() -> UInt64 { counter.add(1, ordering: .relaxed).newValue }
}

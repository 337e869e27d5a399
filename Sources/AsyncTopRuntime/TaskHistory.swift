/// A task's earlier transitions, unformatted: the first ``head`` in order, then the latest
/// ones in a ring, ``limit`` in all; the ones the ring overwrote are counted.
///
/// Kept in one buffer of its own that the registry frees with the record (a value, like
/// the record: copies share the buffer, and only the registry frees it). A step writes an
/// entry without reading the one it replaces unless that one holds a reference (a wait on
/// an object): an `Array` read the old entry to release it, and its header for the count,
/// two cache misses a step once tasks outnumber the cache.
struct TaskHistory {
    typealias Entry = TaskRecord.HistoryEntry

    static let head = 8
    static let limit = 32
    /// The first buffer's size; it doubles up to ``limit`` (most tasks have a few
    /// transitions: a million tasks of eight take 1 GB with room for 32 each, 256 MB with 8).
    private static let firstCapacity = 4

    private var base: UnsafeMutablePointer<Entry>?
    private(set) var count: UInt8 = 0
    private var capacity: UInt8 = 0
    /// Once full: the ring's oldest entry, counted from ``head``.
    private var ringOldest: UInt8 = 0
    /// Bit `i`: entry `i` holds a reference.
    private var references: UInt32 = 0
    /// Transitions dropped from the middle: each one the ring overwrote.
    private(set) var dropped: UInt32 = 0

    var isEmpty: Bool { count == 0 }

    /// Adds the latest transition.
    @inline(__always)
    mutating func append(_ entry: Entry) {
        let holds: Bool
        if case .subject = entry.wait { holds = true } else { holds = false }
        let index: Int
        if Int(count) < Self.limit {
            if count == capacity { grow() }
            index = Int(count)
            (base.unsafelyUnwrapped + index).initialize(to: entry)
            count &+= 1
        } else {
            index = Self.head + Int(ringOldest)
            let slot = base.unsafelyUnwrapped + index
            if references & (1 << index) != 0 { slot.pointee = entry } else { slot.initialize(to: entry) }
            ringOldest = ringOldest &+ 1 == UInt8(Self.limit - Self.head) ? 0 : ringOldest &+ 1
            dropped &+= 1
        }
        if holds { references |= 1 << index } else { references &= ~(1 << index) }
    }

    private mutating func grow() {
        let bigger = capacity == 0 ? Self.firstCapacity : Swift.min(Int(capacity) * 2, Self.limit)
        let made = UnsafeMutablePointer<Entry>.allocate(capacity: bigger)
        if let base {
            made.moveInitialize(from: base, count: Int(count))
            base.deallocate()
        }
        base = made
        capacity = UInt8(bigger)
    }

    /// The entries in time order.
    var ordered: [Entry] {
        guard let base, count > 0 else { return [] }
        let entries = UnsafeBufferPointer(start: base, count: Int(count))
        guard ringOldest > 0 else { return Array(entries) }
        let split = Self.head + Int(ringOldest)
        return Array(entries[..<Self.head]) + Array(entries[split...]) + Array(entries[Self.head..<split])
    }

    /// Releases the entries and the buffer; the history is empty afterwards.
    mutating func free() {
        guard let base else { return }
        base.deinitialize(count: Int(count))
        base.deallocate()
        self = TaskHistory()
    }
}

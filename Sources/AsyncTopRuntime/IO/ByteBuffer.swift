/// A growable byte buffer with a read position: the unread bytes are `head..<tail` of one
/// allocation, which moves them to the front before it grows. Reads land in its spare
/// room without zero-filling it. Not copyable by value in any useful sense: its owner
/// frees it (`deallocate()`).
struct ByteBuffer {
    private(set) var storage: UnsafeMutableRawPointer
    private(set) var capacity: Int
    private(set) var head = 0
    private(set) var tail = 0

    init(capacity: Int = 0) {
        self.capacity = capacity
        self.storage = UnsafeMutableRawPointer.allocate(byteCount: max(1, capacity), alignment: 16)
    }

    func deallocate() { storage.deallocate() }

    var count: Int { tail - head }
    var isEmpty: Bool { head == tail }

    /// The unread bytes.
    var readable: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage + head, count: tail - head) }

    /// Room for at least `count` more bytes after the unread ones.
    mutating func reserve(_ count: Int) -> UnsafeMutableRawBufferPointer {
        if capacity - tail < count {
            if head > 0 {
                (storage).copyMemory(from: storage + head, byteCount: tail - head)
                tail -= head
                head = 0
            }
            if capacity - tail < count {
                let grown = max(capacity * 2, tail + count)
                let moved = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
                moved.copyMemory(from: storage, byteCount: tail)
                storage.deallocate()
                storage = moved
                capacity = grown
            }
        }
        return UnsafeMutableRawBufferPointer(start: storage + tail, count: capacity - tail)
    }

    /// Counts `count` bytes written into the reserved room as unread.
    mutating func commit(_ count: Int) { tail += count }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        let room = reserve(bytes.count)
        room.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        tail += bytes.count
    }

    /// Marks `count` unread bytes as read.
    mutating func consume(_ count: Int) {
        head += min(count, tail - head)
        if head == tail { head = 0; tail = 0 }
    }

    /// Takes `count` unread bytes out as an array.
    mutating func take(_ count: Int) -> [UInt8] {
        let n = min(count, tail - head)
        let taken = [UInt8](UnsafeRawBufferPointer(start: storage + head, count: n))
        consume(n)
        return taken
    }

    /// Drops a large allocation once it is empty.
    mutating func shrinkIfIdle(above limit: Int) {
        guard head == tail, capacity > limit else { return }
        storage.deallocate()
        storage = UnsafeMutableRawPointer.allocate(byteCount: limit, alignment: 16)
        capacity = limit
        head = 0
        tail = 0
    }
}

import AsyncTopModel

/// Task records by task id: an open-addressing hash table with linear probing.
///
/// The loop looks a record up on every step, so this avoids `Dictionary`'s SipHash: ids
/// are mixed with a multiplicative hash, and the values are slots of the registry. A key
/// and its value share a bucket: with many tasks a lookup is one cache miss, not two.
struct TaskTable {
    private struct Bucket {
        var key: TaskID
        var value: Slot
    }
    private var buckets: UnsafeMutablePointer<Bucket>
    private var mask: Int
    /// 64 minus log2 of the size: Fibonacci hashing keeps the product's top bits.
    private var shift: UInt64
    private(set) var count = 0

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        (buckets, mask, shift) = Self.emptyStorage(size: size)
    }

    /// `size` (a power of two) empty buckets, with their mask and hash shift.
    private static func emptyStorage(size: Int) -> (UnsafeMutablePointer<Bucket>, Int, UInt64) {
        let buckets = UnsafeMutablePointer<Bucket>.allocate(capacity: size)
        buckets.initialize(repeating: Bucket(key: 0, value: -1), count: size)
        return (buckets, size - 1, UInt64(64 - size.trailingZeroBitCount))
    }

    /// Frees the storage; the table must not be used afterwards.
    func deallocate() { buckets.deallocate() }

    @inline(__always)
    private func home(_ id: TaskID) -> Int { Int(truncatingIfNeeded: (id &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    @inline(__always)
    func find(_ id: TaskID) -> Slot? {
        if id == 0 { return nil }  // 0 marks an empty bucket: never a task's id
        var i = home(id)
        while true {
            let key = buckets[i].key
            if key == id { return buckets[i].value }
            if key == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    /// Inserts a record under a nonzero id; returns false when the id is already present.
    @discardableResult
    mutating func insert(_ id: TaskID, _ value: Slot) -> Bool {
        if (count + 1) * 4 > (mask + 1) * 3 { grow() }
        var i = home(id)
        while buckets[i].key != 0 {
            if buckets[i].key == id { return false }
            i = (i + 1) & mask
        }
        buckets[i] = Bucket(key: id, value: value)
        count += 1
        return true
    }

    /// Points an id already present at another value.
    func update(_ id: TaskID, to value: Slot) {
        var i = home(id)
        while buckets[i].key != id {
            if buckets[i].key == 0 { return }
            i = (i + 1) & mask
        }
        buckets[i].value = value
    }

    /// Removes an id, shifting later entries of its probe run back (no tombstones).
    mutating func remove(_ id: TaskID) {
        var i = home(id)
        while buckets[i].key != id {
            if buckets[i].key == 0 { return }
            i = (i + 1) & mask
        }
        var hole = i
        var j = i
        while true {
            j = (j + 1) & mask
            let key = buckets[j].key
            if key == 0 { break }
            let home = self.home(key)
            // Move the entry at j into the hole unless its home lies cyclically in (hole, j].
            let inRange = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j)
            if !inRange {
                buckets[hole] = buckets[j]
                hole = j
            }
        }
        buckets[hole] = Bucket(key: 0, value: -1)
        count -= 1
    }

    private mutating func grow() {
        let old = buckets, oldSize = mask + 1
        (buckets, mask, shift) = Self.emptyStorage(size: oldSize * 2)
        count = 0
        for i in 0..<oldSize where old[i].key != 0 {
            insert(old[i].key, old[i].value)
        }
        old.deallocate()
    }
}

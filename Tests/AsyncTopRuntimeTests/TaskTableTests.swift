import Testing
@testable import AsyncTopRuntime

@Suite struct TaskTableTests {
    /// Random inserts, updates and removals agree with a Dictionary, through many growths
    /// and backward-shift deletions.
    @Test func agreesWithADictionary() {
        var table = TaskTable(capacity: 4)
        defer { table.deallocate() }
        var reference: [UInt64: Int32] = [:]
        var rng = SplitMix(seed: 7)
        for step in 0..<200_000 {
            // Ids cluster like task ids do: mostly new and rising, some old ones revisited.
            let id = step % 3 == 0 ? rng.next() % 5_000 + 1 : UInt64(step / 2 + 1)
            switch rng.next() % 4 {
            case 0, 1:
                let inserted = table.insert(id, Int32(step % 1000))
                #expect(inserted == (reference[id] == nil))
                if inserted { reference[id] = Int32(step % 1000) }
            case 2:
                table.remove(id)
                reference[id] = nil
            default:
                if reference[id] != nil {
                    table.update(id, to: 7)
                    reference[id] = 7
                }
            }
            if step % 9_973 == 0 {
                for (key, value) in reference { #expect(table.find(key) == value) }
            }
        }
        #expect(table.count == reference.count)
        for (key, value) in reference { #expect(table.find(key) == value) }
        #expect(table.find(999_999_999) == nil)
    }
}

/// splitmix64: a small deterministic generator for randomized tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

import AsyncTopModel
import Synchronization
@testable import AsyncTopRuntime

/// An append-only list shared by tasks, for order-based assertions.
final class Recorder<Element: Sendable>: Sendable {
    private let list = Mutex<[Element]>([])
    func add(_ item: Element) { list.withLock { $0.append(item) } }
    var items: [Element] { list.withLock { $0 } }
}

struct Boom: Error, Equatable {}

/// The record of a task on the current loop.
func info(_ id: TaskID) -> TaskInfo? { EventLoop.current?.snapshot().task(id) }

/// A small deterministic generator (splitmix64) for the stress tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Yields to the loop `n` times so that spawned tasks run and park.
func settle(_ n: Int = 3) async throws {
    for _ in 0..<n { try await sleep(0) }
}

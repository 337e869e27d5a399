import AsyncTopSync
import AsyncTopModel
import Synchronization
@testable import AsyncTopRuntime

/// An append-only list shared by tasks, for order-based assertions.
final class Recorder<Element: Sendable>: Sendable {
    private let list = Locked<[Element]>([])
    func add(_ item: Element) { list.withLock { $0.append(item) } }
    var items: [Element] { list.withLock { $0 } }
}

struct Boom: Error, Equatable {}

/// The record of a task on the current loop.
func info(_ id: TaskID) -> TaskInfo? { EventLoop.current?.snapshot().task(id) }

/// TaskTableTests' splitmix64, as a generator for `Int.random(in:using:)`.
extension SplitMix: RandomNumberGenerator {}

/// Yields to the loop `n` times so that spawned tasks run and park.
func settle(_ n: Int = 3) async throws {
    for _ in 0..<n { try await sleep(0) }
}

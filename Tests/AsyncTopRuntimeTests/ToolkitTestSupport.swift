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

/// Runs `main` on `EventLoop.main`, one test at a time: tests share the process's one main
/// loop, and a second `run(on: .main)` while it runs would throw `alreadyRunning` after
/// spawning its task on the other test's run.
func onMainLoop<T: Sendable>(_ main: @escaping @Sendable () async throws -> T) async throws -> T {
    await MainLoopTurn.shared.acquire()
    do {
        let value = try await EventLoop.run(on: .main, reportLeftovers: { _ in }, main: main)
        await MainLoopTurn.shared.release()
        return value
    } catch {
        await MainLoopTurn.shared.release()
        throw error
    }
}

/// The turn of the test that runs `EventLoop.main`.
actor MainLoopTurn {
    static let shared = MainLoopTurn()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !busy { busy = true; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}

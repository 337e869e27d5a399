import AsyncTopSync
import AsyncTopModel
import Synchronization

/// An executor that describes its workers and queue for snapshots.
protocol DescribedExecutor: AnyObject, Sendable {
    /// The executor as the snapshot shows it, with times on `timeBase`.
    func info(timeBase: LoopTimeBase) -> ExecutorInfo
}

/// The live executors other than the loops (thread pools, process pools), for snapshots.
/// Holds them weakly: a pool dropped without `shutdown` leaves it by itself.
final class ExecutorRegistry: @unchecked Sendable {
    static let shared = ExecutorRegistry()
    private struct Entry { weak var executor: (any DescribedExecutor)? }
    private let entries = Locked<[Entry]>([])

    func add(_ executor: any DescribedExecutor) {
        entries.withLock { $0.append(Entry(executor: executor)) }
    }

    func remove(_ executor: any DescribedExecutor) {
        entries.withLock { $0.removeAll { $0.executor == nil || $0.executor === executor } }
    }

    /// The live executors, oldest first.
    var pools: [any DescribedExecutor] {
        entries.withLock { entries in
            entries.removeAll { $0.executor == nil }
            return entries.compactMap(\.executor)
        }
    }
}

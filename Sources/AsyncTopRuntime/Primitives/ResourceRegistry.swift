import AsyncTopModel
import Synchronization

/// A primitive that shows in the snapshot's resources view.
protocol ResourceReporter: AnyObject, Sendable {
    /// Its holders, waiters and state now, read under its lock.
    var resourceInfo: ResourceInfo { get }
}

/// The live primitives: each adds itself at init and removes itself in `deinit`.
///
/// Held unretained, not weakly: a weak reference gives the primitive a side table, and
/// then every task that waits on it (and so retains it) takes the slow path of reference
/// counting. Entries are read only under the registry's lock, which a dying primitive's
/// `deinit` also takes before its memory goes.
final class ResourceRegistry: Sendable {
    static let shared = ResourceRegistry()

    private struct Entry: @unchecked Sendable {
        unowned(unsafe) let object: any ResourceReporter
        /// The loop the primitive was made on, if any: snapshots of a loop list its own.
        let loop: ObjectIdentifier?
    }
    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])

    func add(_ object: any ResourceReporter) {
        let loop = EventLoop.current.map(ObjectIdentifier.init)
        entries.withLock { $0[ObjectIdentifier(object)] = Entry(object: object, loop: loop) }
    }

    /// Called from the primitive's `deinit`.
    func remove(_ object: any ResourceReporter) {
        entries.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(object)) }
    }

    /// The live primitives made on `loop` or outside any loop, by id.
    func resources(of loop: EventLoop) -> [ResourceInfo] {
        let me = ObjectIdentifier(loop)
        let infos: [ResourceInfo] = entries.withLock { entries in
            entries.values.compactMap { entry in
                entry.loop == nil || entry.loop == me ? entry.object.resourceInfo : nil
            }
        }
        return infos.sorted { $0.id < $1.id }
    }
}

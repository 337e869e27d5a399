import AsyncTopSync
import AsyncTopModel

/// A primitive that shows in the snapshot's resources view.
protocol ResourceReporter: AnyObject, Sendable {
    /// Its holders, waiters and state now, read under its lock.
    var resourceInfo: ResourceInfo { get }
}

/// The live primitives, held weakly: each registers once at init, snapshots read them.
///
/// Weakly, because a snapshot's temporary strong reference must never be a primitive's
/// last one (its deinit would run inside the registry's lock). The cost: a weakly
/// referenced object has a side table, so the retains of the tasks that wait on it take
/// the slower path. Moving each primitive's state into a separate object that the registry
/// references would avoid both.
final class ResourceRegistry: Sendable {
    static let shared = ResourceRegistry()

    private struct Entry {
        weak var object: (any ResourceReporter)?
        /// The loop the primitive was made on, if any: snapshots of a loop list its own.
        let loop: ObjectIdentifier?
    }
    private struct State {
        var entries: [Entry] = []
        var live = 0
    }
    private let state = Locked(State())

    func add(_ object: any ResourceReporter) {
        let loop = EventLoop.current.map(ObjectIdentifier.init)
        state.withLock { state in
            state.entries.append(Entry(object: object, loop: loop))
            // Drop dead entries once they may be half of the list: amortized O(1) per add.
            if state.entries.count >= 64 && state.entries.count >= 2 * state.live {
                state.entries.removeAll { $0.object == nil }
                state.live = state.entries.count
            }
        }
    }

    /// The live primitives made on `loop` or outside any loop, by id.
    func resources(of loop: EventLoop) -> [ResourceInfo] {
        let me = ObjectIdentifier(loop)
        let objects: [any ResourceReporter] = state.withLock { state in
            state.entries.removeAll { $0.object == nil }
            state.live = state.entries.count
            return state.entries.compactMap { entry in entry.loop == nil || entry.loop == me ? entry.object : nil }
        }
        return objects.map(\.resourceInfo).sorted { $0.id < $1.id }
    }
}

import CAsyncTopObserverAPI
#if canImport(Glibc)
import Glibc
#endif

/// The preloaded observer's calls (libAsyncTopPreload.so, see CAsyncTopObserverAPI's
/// header), looked up in the process when it is there: a program that links this library
/// runs with or without it.
package struct ObserverLibrary: Sendable {
    let active: @convention(c) () -> Int32
    let enable: @convention(c) () -> Int32
    let offReason: @convention(c) () -> UnsafePointer<CChar>?
    let now: @convention(c) () -> UInt64
    let copyTasks: @convention(c) (UnsafeMutablePointer<asynctop_obs_task_t>?, Int) -> Int
    let noteReader: @convention(c) () -> Void
    let copyWorkers: @convention(c) (UnsafeMutablePointer<asynctop_obs_worker_t>?, Int) -> Int
    let copyStats: @convention(c) (UnsafeMutablePointer<asynctop_obs_stats_t>?) -> Void
    let cancel: @convention(c) (UInt64) -> Int32
    let taskObject: @convention(c) (UInt64) -> UnsafeMutableRawPointer?

    package enum Lookup: Sendable {
        case found(ObserverLibrary)
        /// Some calls are there, not all: another version of the library.
        case incomplete(missing: String)
        case absent
    }

    /// The observer loaded in this process, or nil.
    package static var loaded: ObserverLibrary? {
        if case .found(let observer) = lookup { return observer }
        return nil
    }

    /// What the process has of the observer.
    package static func find() -> Lookup { lookup }

    private static let lookup: Lookup = {
        var missing: [String] = []
        func find<F>(_ name: String, as type: F.Type) -> F? {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {  // RTLD_DEFAULT
                missing.append(name)
                return nil
            }
            return unsafeBitCast(symbol, to: type)
        }
        let active = find("asynctop_obs_active", as: (@convention(c) () -> Int32).self)
        let enable = find("asynctop_obs_enable", as: (@convention(c) () -> Int32).self)
        let offReason = find("asynctop_obs_off_reason", as: (@convention(c) () -> UnsafePointer<CChar>?).self)
        let now = find("asynctop_obs_now", as: (@convention(c) () -> UInt64).self)
        let copyTasks = find("asynctop_obs_copy_tasks", as: (@convention(c) (UnsafeMutablePointer<asynctop_obs_task_t>?, Int) -> Int).self)
        let noteReader = find("asynctop_obs_note_reader", as: (@convention(c) () -> Void).self)
        let copyWorkers = find("asynctop_obs_copy_workers",
                               as: (@convention(c) (UnsafeMutablePointer<asynctop_obs_worker_t>?, Int) -> Int).self)
        let copyStats = find("asynctop_obs_copy_stats", as: (@convention(c) (UnsafeMutablePointer<asynctop_obs_stats_t>?) -> Void).self)
        let cancel = find("asynctop_obs_cancel", as: (@convention(c) (UInt64) -> Int32).self)
        let taskObject = find("asynctop_obs_task_object", as: (@convention(c) (UInt64) -> UnsafeMutableRawPointer?).self)
        guard let active, let enable, let offReason, let now, let copyTasks, let noteReader, let copyWorkers, let copyStats,
              let cancel, let taskObject
        else { return missing.count == 10 ? .absent : .incomplete(missing: missing.joined(separator: ", ")) }
        return .found(ObserverLibrary(active: active, enable: enable, offReason: offReason, now: now, copyTasks: copyTasks,
                                      noteReader: noteReader, copyWorkers: copyWorkers, copyStats: copyStats, cancel: cancel,
                                      taskObject: taskObject))
    }()

    package var isActive: Bool { active() != 0 }
    package var whyOff: String { offReason().map { String(cString: $0) } ?? "unknown" }
}

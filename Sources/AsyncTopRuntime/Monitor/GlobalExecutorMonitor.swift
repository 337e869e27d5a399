import Foundation
import Synchronization
import CAsyncTopObserverAPI
import CAsyncTopSupport
#if canImport(Glibc)
import Glibc
#endif

/// A program's plain Swift tasks — `Task {}`, `Task.detached`, task groups, `async let`,
/// on Swift's global executor — served beside its loops, on the same socket.
///
/// ```swift
/// // First thing in main, before the program starts threads or writes output:
/// GlobalExecutorMonitor.install()
/// try await EventLoop.run(monitor: .socket()) { … }   // its socket shows both
/// ```
///
/// The tasks are recorded by asynctop's observer, a small C library that must be preloaded
/// (the only way its versions of the runtime's entry points come first). Unless the process
/// already has it, `install` restarts the program in place (`execve` of the same executable,
/// arguments and environment, the same process id) with `LD_PRELOAD` naming
/// `libAsyncTopPreload.so`, found at `ASYNCTOP_PRELOAD_LIBRARY`, next to the program, or next
/// to an `asynctop` on `PATH`. Under `asynctop run` the observer is there already.
///
/// The global executor joins the process's socket: the one a loop serves with
/// `EventLoop.run(monitor:)` or `ASYNCTOP_SOCKET`, or the one
/// ``install(serving:restart:)`` starts (loops started later join it). With none of them there is nothing to see it through.
public enum GlobalExecutorMonitor {
    public enum Status: Sendable, Equatable, CustomStringConvertible {
        /// The observer records the program's plain tasks.
        case watching
        /// The program runs as it would without asynctop: why.
        case off(String)

        public var description: String {
            switch self {
            case .watching: "watching the program's plain tasks"
            case .off(let why): "not watching the program's plain tasks: \(why)"
            }
        }
    }

    /// Set to the process id in the environment of the restarted program (`execve` keeps
    /// it): that process is not restarted again; its children, which inherit the
    /// environment, are other processes.
    static let restartedVariable = "ASYNCTOP_GLOBAL_RESTARTED"

    private struct State {
        var status: Status?
        var source: GlobalExecutorSource?
    }
    private static let state = Mutex(State())

    /// What ``install(restart:)`` found; nil before it ran.
    public static var status: Status? { state.withLock { $0.status } }

    /// Starts watching the program's plain tasks and serves them beside its loops: on the
    /// socket of the process's loops (`EventLoop.run(monitor:)`), or
    /// `ASYNCTOP_SOCKET`'s, started now when the environment asks for one.
    ///
    /// - Parameter restart: restart the program under the observer when it is not preloaded
    ///   (the call then does not return in this image; see the type's notes). False: the
    ///   status says it is off instead.
    /// - Returns: whether the tasks are watched, and if not why (also said on standard
    ///   error). Later calls return the first call's answer.
    @discardableResult
    public static func install(restart: Bool = true) -> Status {
        let (status, source) = turnOnOnce(restart: restart)
        if let source, ProcessMonitor.server == nil, let configuration = MonitorConfiguration.fromEnvironment(),
           EnvironmentMonitor.claim() {
            do {
                try startSocket(for: source, configuration)
            } catch {
                FileHandle.standardError.write(Data("asynctop: \(error); running without a monitor\n".utf8))
            }
        }
        return status
    }

    /// ``install(restart:)``, and a socket started now with the global executor on it when
    /// the process serves none yet (loops that start later join it): for a program without
    /// a loop.
    /// - Throws: ``MonitorError`` when the socket cannot be made.
    @discardableResult
    public static func install(serving configuration: MonitorConfiguration, restart: Bool = true) throws -> Status {
        let (status, source) = turnOnOnce(restart: restart)
        if let source, ProcessMonitor.server == nil { try startSocket(for: source, configuration) }
        return status
    }

    /// Starts the process's socket with the global executor on it.
    private static func startSocket(for source: GlobalExecutorSource, _ configuration: MonitorConfiguration) throws {
        let server = try MonitorServer(source: source, configuration: configuration)
        // A loop's socket came first meanwhile: the global executor is on it already.
        if !ProcessMonitor.adopt(server) { server.stop() }
    }

    private static func turnOnOnce(restart: Bool) -> (Status, GlobalExecutorSource?) {
        state.withLock { state -> (Status, GlobalExecutorSource?) in
            if let status = state.status { return (status, state.source) }
            let status = turnOn(restart: restart)
            state.status = status
            if status == .watching, let observer = ObserverLibrary.loaded {
                let source = GlobalExecutorSource(observer: observer)
                state.source = source
                ProcessMonitor.add(source)
            } else if case .off(let why) = status {
                FileHandle.standardError.write(Data("asynctop: not watching this program's plain tasks: \(why)\n".utf8))
            }
            return (status, state.source)
        }
    }

    /// Turns the observer on, restarting the program under it when it is not preloaded.
    private static func turnOn(restart: Bool) -> Status {
        var why = "libAsyncTopPreload.so is not loaded in this process"
        switch ObserverLibrary.find() {
        case .found(let observer):
            switch Int(observer.enable()) {
            case ASYNCTOP_OBS_ENABLE_ON: return .watching
            case ASYNCTOP_OBS_ENABLE_NOT_PRELOADED: why = observer.whyOff
            default: return .off(observer.whyOff)
            }
        case .incomplete(let missing):
            return .off("the libAsyncTopPreload.so in this process is not this asynctop's (it has no \(missing)): "
                        + "use the one built with this version")
        case .absent: break
        }
        guard restart else { return .off(why + "; start it with LD_PRELOAD, or under `asynctop run`") }
        if ProcessInfo.processInfo.environment[restartedVariable] == String(getpid()) {
            return .off(why + ", even after restarting under LD_PRELOAD")
        }
        let library: String
        switch preloadLibrary() {
        case .success(let found): library = found
        case .failure(let missing): return .off(why + ", and " + missing.description)
        }
        fflush(nil)  // every stdio stream: what `print` buffered is written before the image goes
        let error = asynctop_reexec_preloaded(library, "\(restartedVariable)=\(getpid())")
        return .off("restarting the program with \(library) preloaded failed: \(String(cString: strerror(error)))")
    }

    struct LibraryNotFound: Error, CustomStringConvertible {
        let description: String
    }

    /// The preloaded library to restart with: `ASYNCTOP_PRELOAD_LIBRARY` (which must then be
    /// there), else beside the program, else beside an `asynctop` on `PATH`.
    static func preloadLibrary(environment: [String: String] = ProcessInfo.processInfo.environment) -> Result<String, LibraryNotFound> {
        let name = "libAsyncTopPreload.so"
        if let given = environment["ASYNCTOP_PRELOAD_LIBRARY"], !given.isEmpty {
            return FileManager.default.isReadableFile(atPath: given)
                ? .success(given) : .failure(LibraryNotFound(description: "ASYNCTOP_PRELOAD_LIBRARY names no readable file: \(given)"))
        }
        var candidates: [String] = []
        if let program = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append((program as NSString).deletingLastPathComponent + "/" + name)
        }
        for directory in (environment["PATH"] ?? "").split(separator: ":") where !directory.isEmpty {
            if access("\(directory)/asynctop", X_OK) == 0 { candidates.append("\(directory)/\(name)") }
        }
        if let found = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) { return .success(found) }
        return .failure(LibraryNotFound(description: "\(name) was not found beside the program or beside asynctop on PATH: "
                                        + "build the AsyncTopPreload product, or set ASYNCTOP_PRELOAD_LIBRARY"))
    }
}

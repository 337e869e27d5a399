import AsyncTopModel
import AsyncTopRuntime
import CAsyncTopObserverAPI
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The observer's socket server, started by the preloaded library once its checks passed
/// (`asynctop run`, or `LD_PRELOAD` with `ASYNCTOP_OBSERVE_SOCKET`).
enum ObserverServer {
    static let server = Mutex<MonitorServer?>(nil)

    /// Serves the observed tasks at `socket`; says "on PATH" (or "off WHY") in the file at
    /// `statusPath` (`asynctop run` reads it), else on standard error.
    static func serve(socket: String?, statusPath: String?) -> Int32 {
        func say(_ line: String) {
            guard let statusPath else { return }
            try? Data((line + "\n").utf8).write(to: URL(fileURLWithPath: statusPath))
        }
        guard let observer = ObserverLibrary.loaded, observer.isActive else {
            say("off " + (ObserverLibrary.loaded?.whyOff ?? "the observer's calls were not found in the process"))
            return 1
        }
        do {
            let path = socket.flatMap { $0.isEmpty ? nil : $0 }
            let started = try MonitorServer(source: GlobalExecutorSource(observer: observer), configuration: MonitorConfiguration(path: path))
            server.withLock { $0 = started }
            say("on " + started.path)
            if statusPath == nil {
                FileHandle.standardError.write(Data("asynctop: watching this program's tasks at \(started.path)\n".utf8))
            }
            return 0
        } catch {
            say("off the monitor socket: \(error)")
            if statusPath == nil { FileHandle.standardError.write(Data("asynctop: the observer is off: \(error)\n".utf8)) }
            return 1
        }
    }
}

@_cdecl("asynctop_observer_serve")
public func asynctopObserverServe(_ socket: UnsafePointer<CChar>?, _ status: UnsafePointer<CChar>?) -> Int32 {
    ObserverServer.serve(socket: socket.map { String(cString: $0) }, statusPath: status.map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 })
}

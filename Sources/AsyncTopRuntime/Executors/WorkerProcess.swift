import CAsyncTopSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One worker process of a process pool, and the parent's ends of its two pipes: the
/// program re-executed in worker mode (``ProcessPool/runWorkerIfRequested()``), reading
/// requests on its descriptor 3 and writing responses on its descriptor 4.
///
/// The parent's ends are close-on-exec, so no other child inherits them: a worker sees the
/// end of its requests exactly when this pool closes them, or when the parent dies.
final class WorkerProcess: @unchecked Sendable {
    /// The environment variable that puts a program in worker mode; its value names the
    /// request and result descriptors.
    static let environmentKey = "ASYNCTOP_PROCESS_POOL_WORKER"

    let pid: Int32
    /// The parent writes requests here; -1 once closed.
    private var requestFD: Int32
    /// The parent reads responses here (by the worker's reader thread only).
    let resultFD: Int32

    private init(pid: Int32, requestFD: Int32, resultFD: Int32) {
        self.pid = pid
        self.requestFD = requestFD
        self.resultFD = resultFD
    }

    /// Starts `executable` in worker mode.
    ///
    /// - Throws: `ProcessPoolError.spawnFailed` when the pipes or the process cannot be made.
    static func spawn(executable: String) throws -> WorkerProcess {
        var requests: [Int32] = [-1, -1]
        var results: [Int32] = [-1, -1]
        let requestsError = asynctop_cloexec_pipe(&requests)
        if requestsError != 0 {
            throw ProcessPoolError.spawnFailed(path: executable, reason: String(cString: strerror(requestsError)))
        }
        let resultsError = asynctop_cloexec_pipe(&results)
        if resultsError != 0 {
            close(requests[0]); close(requests[1])
            throw ProcessPoolError.spawnFailed(path: executable, reason: String(cString: strerror(resultsError)))
        }
        var pid: Int32 = 0
        let environment = "\(environmentKey)=3,4"
        let rc = executable.withCString { path in
            var argv: [UnsafeMutablePointer<CChar>?] = [strdup(executable), nil]
            defer { free(argv[0]) }
            return asynctop_spawn_worker(path, &argv, environment, requests[0], results[1], &pid)
        }
        // The child has its copies; the parent keeps the write end of requests and the
        // read end of results.
        close(requests[0])
        close(results[1])
        guard rc == 0 else {
            close(requests[1]); close(results[0])
            throw ProcessPoolError.spawnFailed(path: executable, reason: String(cString: strerror(rc)))
        }
        return WorkerProcess(pid: pid, requestFD: requests[1], resultFD: results[0])
    }

    /// Sends a frame; false when the worker is gone (its reader then sees the end).
    /// Call it and ``closeRequests()`` under one lock.
    func send(_ frame: [UInt8]) -> Bool {
        requestFD >= 0 && writeFrame(frame, to: requestFD)
    }

    /// Tells the worker to exit once it finished its call: it reads the end of its requests.
    func closeRequests() {
        guard requestFD >= 0 else { return }
        close(requestFD)
        requestFD = -1
    }

    var requestsClosed: Bool { requestFD < 0 }

    /// The parent's open descriptors of this worker (for tests of leaks).
    var descriptors: [Int32] { [requestFD, resultFD].filter { $0 >= 0 } }

    /// Waits for the process to end (after its results reached end of file), closes the
    /// last descriptor, and says how it ended.
    func reap() -> (description: String, bySignal: Bool) {
        close(resultFD)
        var exitCode: Int32 = 0
        var signal: Int32 = 0
        let rc = asynctop_reap_child(pid, &exitCode, &signal)
        if rc != 0 { return ("waitpid: \(String(cString: strerror(rc)))", false) }
        if signal != 0 { return ("killed by signal \(signal)\(signalName(signal).map { " (\($0))" } ?? "")", true) }
        return ("exited with status \(exitCode)", false)
    }

    private func signalName(_ signal: Int32) -> String? {
        switch signal {
        case SIGKILL: "SIGKILL"
        case SIGSEGV: "SIGSEGV"
        case SIGABRT: "SIGABRT"
        case SIGTERM: "SIGTERM"
        case SIGILL: "SIGILL"
        case SIGTRAP: "SIGTRAP"
        case SIGBUS: "SIGBUS"
        default: nil
        }
    }
}

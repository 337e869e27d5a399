/// Errors of a call run by a ``ProcessPoolExecutor``.
public enum ProcessPoolError: Error, Equatable, CustomStringConvertible {
    /// The worker running the call died before it answered (killed, crashed, exited).
    case brokenWorker(pid: Int32, function: String, reason: String)
    /// The worker program has no function registered under this name.
    case unknownFunction(String, pid: Int32)
    /// The worker could not decode the argument as the function's argument type.
    case badArguments(function: String, reason: String)
    /// The function threw in the worker; its error, described.
    case failed(function: String, message: String)
    /// The caller could not decode the result as the type it asked for.
    case badResult(function: String, reason: String)
    /// A worker process could not be started.
    case spawnFailed(path: String, reason: String)
    /// The program started but never served as a worker: it does not call
    /// ``ProcessPool/runWorkerIfRequested()`` first thing in `main`.
    case notAWorker(path: String, reason: String)

    public var description: String {
        switch self {
        case .brokenWorker(let pid, let function, let reason):
            "broken worker: process pool worker pid \(pid) died while running \(function) (\(reason))"
        case .unknownFunction(let name, let pid):
            "no function named \(name) is registered in process pool worker pid \(pid) (ProcessPool.register)"
        case .badArguments(let function, let reason): "bad arguments for \(function): \(reason)"
        case .failed(let function, let message): "\(function) failed in its worker: \(message)"
        case .badResult(let function, let reason): "the result of \(function) could not be decoded: \(reason)"
        case .spawnFailed(let path, let reason): "cannot start a process pool worker from \(path): \(reason)"
        case .notAWorker(let path, let reason):
            "\(path) did not start as a process pool worker (\(reason)); call ProcessPool.runWorkerIfRequested() at the top of its main"
        }
    }
}

import Foundation
import Synchronization

/// The functions a process pool's workers can run, and the worker mode of a program.
///
/// A program that uses a ``ProcessPoolExecutor`` registers its functions at startup, the
/// same in the parent and in the workers (the workers are the same program), and calls
/// ``runWorkerIfRequested()`` early in `main`:
///
/// ```swift
/// ProcessPool.register("fib") { (n: Int) -> Int in fib(n) }
/// ProcessPool.runWorkerIfRequested()   // a worker serves calls here and never returns
/// ```
public enum ProcessPool {
    typealias Function = @Sendable (ArraySlice<UInt8>) -> (WorkerFrame.Status, [UInt8])
    private static let functions = Mutex<[String: Function]>([:])

    /// Registers a function under `name`: its argument and result cross the pipes as JSON.
    /// A later registration under the same name replaces it.
    public static func register<Argument: Decodable & Sendable, Result: Encodable & Sendable>(
        _ name: String, _ body: @escaping @Sendable (Argument) throws -> Result
    ) {
        let function: Function = { bytes in
            let argument: Argument
            do { argument = try JSONDecoder().decode(Argument.self, from: Data(bytes)) } catch {
                return (.badArguments, Array("expected \(Argument.self): \(error)".utf8))
            }
            do { return (.ok, Array(try JSONEncoder().encode(try body(argument)))) } catch {
                return (.failed, Array(String(describing: error).utf8))
            }
        }
        functions.withLock { $0[name] = function }
    }

    /// The names registered in this process, sorted.
    public static var registeredNames: [String] { functions.withLock { $0.keys.sorted() } }

    /// True when this process was started as a pool's worker.
    public static var isWorker: Bool { getenv(WorkerProcess.environmentKey) != nil }

    /// In a process started by a pool as its worker, serves calls until the pool closes its
    /// pipe, then exits; elsewhere returns at once. Call it at the top of `main`, after
    /// registering the functions and before anything else (argument parsing, output).
    public static func runWorkerIfRequested() {
        guard let value = getenv(WorkerProcess.environmentKey) else { return }
        let descriptors = String(cString: value).split(separator: ",").compactMap { Int32($0) }
        unsetenv(WorkerProcess.environmentKey)
        guard descriptors.count == 2 else {
            FileHandle.standardError.write(Data("asynctop: bad \(WorkerProcess.environmentKey) value\n".utf8))
            exit(2)
        }
        serve(requests: descriptors[0], results: descriptors[1])
    }

    /// The worker's loop: one call at a time, on this thread.
    private static func serve(requests: Int32, results: Int32) -> Never {
        _ = fcntl(requests, F_SETFD, FD_CLOEXEC)
        _ = fcntl(results, F_SETFD, FD_CLOEXEC)
        guard writeFrame(WorkerFrame.response(id: 0, status: .ready, body: []), to: results) else { exit(1) }
        var reader = FrameReader(fd: requests)
        let table = functions.withLock { $0 }
        while let payload = reader.next() {
            guard let (id, name, argument) = WorkerFrame.parseRequest(payload) else { exit(3) }
            let (status, body): (WorkerFrame.Status, [UInt8])
            if let function = table[name] ?? functions.withLock({ $0[name] }) {
                (status, body) = function(argument)
            } else {
                (status, body) = (.unknownFunction, [])
            }
            guard writeFrame(WorkerFrame.response(id: id, status: status, body: body), to: results) else { exit(1) }
        }
        exit(0)
    }
}

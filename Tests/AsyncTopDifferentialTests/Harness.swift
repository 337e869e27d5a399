import AsyncTopRuntime
import AsyncTopSync
import Foundation

/// The time unit of every scenario, in seconds; the Python side gets it in `DIFF_TICK`.
/// Events that must be ordered are at least a tick apart.
let tick = 0.05

/// The lines a Swift twin logs, in order, from any task or thread.
final class EventLog: Sendable {
    private let lines = Locked<[String]>([])

    func callAsFunction(_ line: String) { lines.withLock { $0.append(line) } }

    var all: [String] { lines.withLock { $0 } }
}

/// Sleeps `n` ticks on the loop.
func ticks(_ n: Int) async throws {
    try await sleep(Double(n) * tick)
}

/// Waits `n` ticks even in a cancelled task: a cleanup that waits.
///
/// asyncio delivers a cancellation once, as one `CancelledError`, so a cleanup can still
/// `await asyncio.sleep`. Swift's cancellation stays set, so every cancellable wait of a
/// cancelled task throws at once: the twins wait on a timer callback instead.
func cleanupTicks(_ n: Int) async {
    guard let loop = EventLoop.current else { return }
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        do {
            try loop.callLater(Double(n) * tick) { continuation.resume() }
        } catch {
            continuation.resume()
        }
    }
}

/// The error the scenarios raise on purpose: `Boom` of difflog.py.
struct Boom: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

// MARK: - asyncio's spellings
//
// The one place where the twins' values become the lines CPython prints. Swift's types
// differ from Python's: errors are other types (`CancellationError` for `CancelledError`,
// `LoopError.timedOut` for concurrent.futures' `TimeoutError`, `ToolkitError` and
// `LoopError.invalidState` for `ValueError`, `RuntimeError` and `InvalidStateError`,
// `TaskGroupError` for `ExceptionGroup`), booleans print in lower case, and sets have no
// order to print in.

/// An error as difflog.py's `err` spells it: Boom with its message, a group with its
/// members, anything else by asyncio's class name.
func spelling(of error: any Error) -> String {
    switch error {
    case let boom as Boom: "Boom(\(boom.message))"
    case is CancellationError: "CancelledError"
    case is TimeoutError: "TimeoutError"
    // concurrent.futures.Future.result(timeout) raises the builtin TimeoutError since 3.11.
    case LoopError.timedOut: "TimeoutError"
    case let group as TaskGroupError: "ExceptionGroup[" + group.errors.map(spelling(of:)).joined(separator: ", ") + "]"
    case is QueueFull: "QueueFull"
    case is QueueEmpty: "QueueEmpty"
    case is QueueShutDown: "QueueShutDown"
    case ToolkitError.overReleased, ToolkitError.taskDoneTooManyTimes: "ValueError"
    case ToolkitError.lockNotHeld, ToolkitError.conditionLockNotHeld: "RuntimeError"
    case ToolkitError.futureAlreadyDone, LoopError.invalidState: "InvalidStateError"
    case is IncompleteReadError: "IncompleteReadError"
    case is LimitOverrunError: "LimitOverrunError"
    case StreamError.lineTooLong: "ValueError"
    case let io as IOError where io.isConnectionRefused: "ConnectionRefusedError"
    case let io as IOError where io.isConnectionLost: "ConnectionResetError"
    default: "unmapped \(type(of: error)): \(error)"
    }
}

/// A result of `gather(returnExceptions: true)` as difflog.py's `outcome` spells it.
func spelling<T>(of result: Result<T, any Error>) -> String {
    switch result {
    case .success(let value): "\(value)"
    case .failure(let error): spelling(of: error)
    }
}

/// A boolean as Python prints it.
func spelling(of flag: Bool) -> String { flag ? "True" : "False" }

/// A set of tasks as difflog.py's `names`: the sorted names in braces.
func spelling<T>(of tasks: Set<TaskHandle<T>>) -> String {
    "{" + tasks.map(\.name).sorted().joined(separator: ", ") + "}"
}

/// A task's end in a demo's trace as demos/demolog.py spells it: asynctop's "done" is
/// asyncio's finished task, neither cancelled nor failed.
func spelling(ofEnd event: String) -> String { event == "done" ? "finished" : event }

/// True for a task name that demos/demolog.py leaves out of its log: an unnamed task, which
/// asyncio and asynctop both call `Task-<number>`, or a native task that asynctop shows by
/// its kind, as asyncio has no such tasks.
func isUnnamedTask(_ name: String) -> Bool {
    name == "async let" || name == "group child" || name.wholeMatch(of: /Task-[0-9]+/) != nil
}

// MARK: - CPython

/// Runs the scenarios' Python programs with `python3`, or the interpreter `ASYNCTOP_PYTHON`
/// names (a newer CPython, say).
enum CPython {
    /// The folder of the Python programs, beside this file.
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("python")

    /// A program that did not exit with status 0.
    struct Failed: Error, CustomStringConvertible {
        let program: String
        let status: Int32
        let standardError: String
        var description: String { "\(program) exited with status \(status):\n\(standardError)" }
    }

    /// Starts `python/<scenario>.py`; ``Started/lines()`` waits for it.
    ///
    /// - Throws: what `Process.run` throws when there is no interpreter.
    static func start(_ scenario: String) throws -> Started {
        try Started(["-B", folder.appendingPathComponent("\(scenario).py").path])
    }

    /// Starts `python/demos/<file>.py` with the demo's speed in `DEMO_SPEED`.
    ///
    /// - Throws: what `Process.run` throws when there is no interpreter.
    static func startDemo(_ file: String, speed: Double) throws -> Started {
        let path = folder.appendingPathComponent("demos").appendingPathComponent("\(file).py").path
        return try Started(["-B", path], environment: ["DEMO_SPEED": "\(speed)"])
    }

    /// True when this Python's asyncio has `Queue.shutdown` (3.13 and later).
    static var hasQueueShutdown: Bool {
        let check = "import asyncio, sys; sys.exit(0 if hasattr(asyncio.Queue, 'shutdown') else 1)"
        return (try? Started(["-c", check]).wait().status) == 0
    }

    /// A Python program running, its output read as it comes.
    final class Started {
        let arguments: [String]
        private let process = Process()
        private let output = Locked(Data()), errors = Locked(Data())
        private let readers = DispatchGroup()

        /// Starts the interpreter with `arguments`, and `environment` added to this process's.
        init(_ arguments: [String], environment extra: [String: String] = [:]) throws {
            self.arguments = arguments
            var environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [environment["ASYNCTOP_PYTHON"] ?? "python3"] + arguments
            environment["DIFF_TICK"] = "\(tick)"
            process.environment = environment
            let outputPipe = Pipe(), errorPipe = Pipe()
            process.standardOutput = outputPipe
            process.standardError = errorPipe
            try process.run()
            // Both pipes are read as the program writes, so that neither fills up and blocks it.
            for (file, data) in [(outputPipe.fileHandleForReading, output), (errorPipe.fileHandleForReading, errors)] {
                readers.enter()
                DispatchQueue.global().async { [readers] in
                    let bytes = file.readDataToEndOfFile()
                    data.withLock { $0 = bytes }
                    readers.leave()
                }
            }
        }

        /// Waits for the program to exit.
        func wait() -> (status: Int32, output: String, errors: String) {
            readers.wait()
            process.waitUntilExit()
            let text = { (data: Locked<Data>) in data.withLock { String(decoding: $0, as: UTF8.self) } }
            return (process.terminationStatus, text(output), text(errors))
        }

        /// Waits for the program to exit and returns the lines it printed.
        ///
        /// - Throws: ``Failed`` with its standard error when it did not exit with status 0.
        func lines() throws -> [String] {
            let (status, output, errors) = wait()
            guard status == 0 else { throw Failed(program: arguments.joined(separator: " "), status: status, standardError: errors) }
            return output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        }
    }
}

// MARK: - Diff

/// The two lists of lines as a diff: "  " for a line in both, "- " for a line only CPython
/// printed, "+ " for one only asynctop logged.
func lineDiff(cpython: [String], asynctop: [String]) -> String {
    let a = cpython, b = asynctop
    // lengths[i][j]: the longest common subsequence of a[i...] and b[j...].
    var lengths = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in stride(from: a.count - 1, through: 0, by: -1) {
        for j in stride(from: b.count - 1, through: 0, by: -1) {
            lengths[i][j] = a[i] == b[j] ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
        }
    }
    var lines: [String] = ["--- CPython", "+++ asynctop"]
    var i = 0, j = 0
    while i < a.count || j < b.count {
        if i < a.count, j < b.count, a[i] == b[j] {
            lines.append("  " + a[i]); i += 1; j += 1
        } else if j < b.count, i == a.count || lengths[i][j + 1] >= lengths[i + 1][j] {
            lines.append("+ " + b[j]); j += 1
        } else {
            lines.append("- " + a[i]); i += 1
        }
    }
    return lines.joined(separator: "\n")
}

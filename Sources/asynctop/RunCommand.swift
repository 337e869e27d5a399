import ArgumentParser
import AsyncTopClient
import AsyncTopModel
import AsyncTopRuntime
import AsyncTopTerminal
import AsyncTopTUI
import CAsyncTopSupport
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `asynctop run -- PROGRAM ARGS…`: starts a Swift program with the observer preloaded and
/// watches its plain tasks (`Task {}`, groups, `async let`) on the global executor.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Swift program and watch its tasks, with no change to it.",
        discussion: """
            The program runs with asynctop's observer preloaded (libAsyncTopPreload.so, built \
            beside asynctop), which serves its tasks on a monitor socket: attach, ps, pstree \
            and the exporter work on it as on any monitored program. With the dashboard, the \
            program's output goes to a file the header names; quitting stops the program. \
            Only the process started is watched, through a wrapper's exec, not its children. \
            A statically linked program cannot be watched.
            """)

    @Option(help: "The monitor socket (default: one in asynctop's private directory).")
    var socket: String?

    @Option(help: "Record the stream to this file (replay it with `asynctop replay`).")
    var record: String?

    @Option(help: "With the dashboard: where the program's output goes (default: a file beside the socket).")
    var output: String?

    @Flag(help: "Run the program in the foreground with its output as usual, serving the socket; exit with its status.")
    var noDashboard = false

    @OptionGroup var display: DisplayFlags

    @OptionGroup var lints: LintOptions

    @Argument(parsing: .captureForPassthrough, help: "The program and its arguments (after --).")
    var command: [String] = []

    func run() throws {
        do {
            try start()
        } catch let error as RunError {
            FileHandle.standardError.write(Data("asynctop: \(error.description)\n".utf8))
            throw ExitCode(error.status)
        }
    }

    private func start() throws {
        let arguments = command.first == "--" ? Array(command.dropFirst()) : command
        guard let program = arguments.first else {
            throw ValidationError("name the program to run: asynctop run -- PROGRAM [ARGS…]")
        }
        let path = try ProgramCheck.resolve(program)
        let libraries = try ObserverLibraries.locate()
        let directory = try MonitorConfiguration.privateDirectory()
        let name = (path as NSString).lastPathComponent
        let socketPath = socket ?? "\(directory)/\(name)-run-\(getpid()).sock"
        try ProgramCheck.socketIsFree(socketPath)
        let statusPath = "\(directory)/.\(name)-run-\(getpid()).status"
        unlink(statusPath)
        defer { unlink(statusPath) }

        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = ([libraries.preload] + (environment["LD_PRELOAD"].map { [$0] } ?? [])).joined(separator: ":")
        environment["ASYNCTOP_OBSERVE_SOCKET"] = socketPath
        environment["ASYNCTOP_OBSERVE_STATUS"] = statusPath
        environment["ASYNCTOP_OBSERVE_LIBRARY"] = libraries.monitor
        environment["ASYNCTOP_OBSERVE_PARENT"] = String(getpid())

        var outputPath: String?
        var outputFD: Int32 = -1
        if !noDashboard {
            outputPath = output ?? "\(directory)/\(name)-run-\(getpid()).out"
            outputFD = open(outputPath!, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard outputFD >= 0 else {
                throw RunError("cannot write the program's output to \(outputPath!): \(String(cString: strerror(errno)))")
            }
        }
        defer { if outputFD >= 0 { close(outputFD) } }
        let child = try ChildProcess.spawn(path: path, arguments: arguments, environment: environment,
                                           stdin: noDashboard ? ASYNCTOP_SPAWN_INHERIT : ASYNCTOP_SPAWN_DEVNULL,
                                           output: noDashboard ? ASYNCTOP_SPAWN_INHERIT : outputFD)
        SignalForwarding.forward(to: child.pid)
        let verdict = ObserverVerdict.wait(statusPath: statusPath, child: child, timeout: 10)
        if noDashboard {
            FileHandle.standardError.write(Data("asynctop: \(verdict.sentence(program: name, pid: child.pid))\n".utf8))
            let status = child.waitForExit()
            FileHandle.standardError.write(Data("asynctop: \(name) \(status.description)\n".utf8))
            throw ExitCode(status.exitCode)
        }

        let (remote, recorder) = try recordingRemote(path: socketPath, record: record)
        defer {
            remote.stop()
            recorder?.close()
        }
        let source = RunSource(remote: RemoteSource(remote: remote), child: child, program: name, verdict: verdict,
                               outputPath: outputPath!)
        do {
            try runDashboard {
                try DashboardTerminal.run(source: source, demos: [], ascii: display.ascii, monochrome: display.noColor,
                                         lintThresholds: lints.thresholds)
            }
        } catch {
            child.stop()
            throw error
        }
        let stopped = child.stop()
        let status = child.waitForExit()
        let said = stopped ? "was stopped with SIGTERM when the dashboard closed" : status.description
        FileHandle.standardError.write(Data("asynctop: \(name) (pid \(child.pid)) \(said); its output is in \(outputPath!)\n".utf8))
        // Quitting while it ran is the user's choice, not the program's failure.
        throw ExitCode(stopped ? 0 : status.exitCode)
    }
}

/// A refusal before the program runs, with the status a shell would give: 127 for a
/// program not found, 126 for one that cannot run, 64 for the rest.
struct RunError: Error, CustomStringConvertible {
    let description: String
    let status: Int32
    init(_ description: String, status: Int32 = 64) {
        self.description = description
        self.status = status
    }
}

/// What `asynctop run` checks of the program before starting it.
enum ProgramCheck {
    /// The program's path: as given when it has a slash, else found on PATH.
    static func resolve(_ program: String) throws -> String {
        let candidates: [String]
        if program.contains("/") {
            candidates = [program]
        } else {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
            candidates = path.split(separator: ":").map { "\($0.isEmpty ? "." : String($0))/\(program)" }
        }
        var refusal: Int32 = ENOENT
        for candidate in candidates {
            let problem = asynctop_is_executable_file(candidate)
            if problem == 0 {
                try checkLinking(candidate)
                return candidate
            }
            if problem != ENOENT { refusal = problem }
        }
        if refusal == ENOENT {
            throw RunError(program.contains("/") ? "\(program): no such file" : "\(program): not found on PATH", status: 127)
        }
        throw RunError("\(program): not an executable file (\(String(cString: strerror(refusal))))", status: 126)
    }

    /// A statically linked ELF program ignores a preloaded library: refused with the reason.
    /// Scripts and dynamically linked programs pass (a script's interpreter is passed
    /// through; the Swift program it starts is watched).
    static func checkLinking(_ path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 64)) ?? Data()
        guard header.count >= 64, header.starts(with: [0x7F, 0x45, 0x4C, 0x46]), header[4] == 2 else { return }
        func word<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            header[offset..<offset + MemoryLayout<T>.size].enumerated().reduce(T.zero) { $0 | T($1.element) << (8 * $1.offset) }
        }
        let programHeaders = Int(word(32, UInt64.self)), entrySize = Int(word(54, UInt16.self)), count = Int(word(56, UInt16.self))
        guard entrySize >= 4, count > 0, count < 256 else { return }
        try handle.seek(toOffset: UInt64(programHeaders))
        let table = (try? handle.read(upToCount: entrySize * count)) ?? Data()
        let hasInterpreter = stride(from: 0, to: table.count - 3, by: entrySize).contains { offset in
            table[table.startIndex + offset] == 3 && table[table.startIndex + offset + 1] == 0
        }
        if !hasInterpreter {
            throw RunError("\((path as NSString).lastPathComponent) is statically linked: a preloaded observer cannot reach its "
                + "Swift runtime (build it without --static-swift-stdlib / -static-executable)", status: 126)
        }
    }

    /// A second `run` (or anything else listening) on the same socket is refused.
    static func socketIsFree(_ path: String) throws {
        let probe = asynctop_unix_connect(path)
        if probe >= 0 {
            close(probe)
            throw RunError("\(path): another program already serves this socket")
        }
    }
}

/// The two libraries `asynctop run` needs, next to its own binary (or where
/// `ASYNCTOP_PRELOAD_LIBRARY` says).
enum ObserverLibraries {
    static func locate() throws -> (preload: String, monitor: String) {
        let environment = ProcessInfo.processInfo.environment
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let directory = (executable as NSString).deletingLastPathComponent
        let preload = environment["ASYNCTOP_PRELOAD_LIBRARY"] ?? "\(directory)/libAsyncTopPreload.so"
        let monitor = "\((preload as NSString).deletingLastPathComponent)/libAsyncTopObserver.so"
        for library in [preload, monitor] where !FileManager.default.fileExists(atPath: library) {
            throw RunError("\(library) is missing: build it with `swift build -c release` (which builds every product, "
                + "`swift run` builds only asynctop)")
        }
        return (preload, monitor)
    }
}

/// What the observer said of itself once loaded into the program.
enum ObserverVerdict: Sendable {
    case on(socket: String)
    case off(String)
    case silent(String)

    /// Waits for the status file, the program's exit, or `timeout` seconds.
    static func wait(statusPath: String, child: ChildProcess, timeout: Double) -> ObserverVerdict {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: statusPath, encoding: .utf8), text.hasSuffix("\n") {
                let line = text.trimmingCharacters(in: .newlines)
                if line.hasPrefix("on ") { return .on(socket: String(line.dropFirst(3))) }
                if line.hasPrefix("off ") { return .off(String(line.dropFirst(4))) }
                return .off(line)
            }
            if child.hasExited {
                return .silent("the program exited before the observer started (not a dynamically linked Swift program using concurrency?)")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return .silent("the observer did not start within \(Int(timeout)) s (not a Swift program using concurrency?)")
    }

    func sentence(program: String, pid: Int32) -> String {
        switch self {
        case .on(let socket): "watching \(program) (pid \(pid)) at \(socket)"
        case .off(let why): "the observer is off: \(why); \(program) (pid \(pid)) runs unobserved"
        case .silent(let why): "\(why); \(program) (pid \(pid)) runs unobserved"
        }
    }
}

/// How the program ended.
struct ExitStatus: Sendable, CustomStringConvertible {
    /// The exit status, or minus the signal that ended it.
    let code: Int32

    var exitCode: Int32 { code >= 0 ? code : 128 - code }

    var description: String {
        if code >= 0 { return "exited with status \(code)" }
        let name = String(cString: strsignal(-code))
        return "was killed by signal \(-code) (\(name))" + (-code == SIGSEGV || -code == SIGABRT || -code == SIGILL || -code == SIGBUS || -code == SIGTRAP ? ": it crashed" : "")
    }
}

/// The program `asynctop run` started.
final class ChildProcess: Sendable {
    let pid: Int32
    private let status = Mutex<ExitStatus?>(nil)

    private init(pid: Int32) { self.pid = pid }

    static func spawn(path: String, arguments: [String], environment: [String: String], stdin: Int32, output: Int32) throws -> ChildProcess {
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: Int32 = 0
        let rc = asynctop_spawn_process(path, argv, envp, nil, stdin, output, output == ASYNCTOP_SPAWN_INHERIT ? ASYNCTOP_SPAWN_INHERIT : output, &pid)
        guard rc == 0 else { throw RunError("cannot start \(path): \(String(cString: strerror(rc)))", status: 126) }
        return ChildProcess(pid: pid)
    }

    var hasExited: Bool {
        if status.withLock({ $0 }) != nil { return true }
        var code: Int32 = 0
        if asynctop_reap(pid, 0, &code) == 1 {
            status.withLock { $0 = ExitStatus(code: code) }
            return true
        }
        return false
    }

    var exit: ExitStatus? { hasExited ? status.withLock { $0 } : nil }

    func waitForExit() -> ExitStatus {
        if let known = status.withLock({ $0 }) { return known }
        var code: Int32 = 0
        let reaped = asynctop_reap(pid, 1, &code)
        let result = ExitStatus(code: reaped == 1 ? code : 0)
        status.withLock { $0 = result }
        return result
    }

    /// Ends a program still running: SIGTERM, then SIGKILL after 3 s. True when it ran.
    @discardableResult
    func stop() -> Bool {
        guard !hasExited else { return false }
        kill(pid, SIGTERM)
        for _ in 0..<150 where !hasExited { Thread.sleep(forTimeInterval: 0.02) }
        if !hasExited { kill(pid, SIGKILL) }
        return true
    }
}

/// SIGINT, SIGTERM and SIGHUP to `asynctop run` go to the program.
enum SignalForwarding {
    nonisolated(unsafe) static var child: Int32 = 0

    static func forward(to pid: Int32) {
        child = pid
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            Glibc.signal(signal) { number in
                if SignalForwarding.child > 0 { kill(SignalForwarding.child, number) }
            }
        }
    }
}

/// The dashboard of a program `asynctop run` started: the remote view, with the program's
/// pid, where its output goes, what the observer said, and how the program ended.
struct RunSource: SnapshotSource {
    let remote: RemoteSource
    let child: ChildProcess
    let program: String
    let verdict: ObserverVerdict
    let outputPath: String

    func snapshot() -> Snapshot {
        var snapshot = remote.snapshot()
        let output = " · output → \(outputPath)"
        if let exit = child.exit {
            snapshot.stats.phase = "\(program) (pid \(child.pid)) \(exit.description)" + output
        } else if case .on = verdict {
            snapshot.stats.phase += output
        } else {
            snapshot.stats.phase = verdict.sentence(program: program, pid: child.pid) + output
        }
        return snapshot
    }

    func cancel(task: TaskID, message: String?, answer: @escaping @Sendable (CancelAnswer) -> Void) {
        remote.cancel(task: task, message: message, answer: answer)
    }

    var canLaunchDemos: Bool { false }
    func launchDemo(named name: String) {}
    func requestStacks(of tasks: [TaskID]) { remote.requestStacks(of: tasks) }
}

import AsyncTopModel
import CAsyncTopSupport
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a standard descriptor of a child process is connected to (asyncio's `PIPE`,
/// `None`, `DEVNULL` and `STDOUT`).
public enum SubprocessIO: Sendable, Equatable {
    /// A pipe to this process: the child's ``Subprocess/stdin``, ``Subprocess/stdout`` or
    /// ``Subprocess/stderr`` stream.
    case pipe
    /// This process's own descriptor.
    case inherit
    /// /dev/null.
    case devNull
    /// For stderr only: wherever the child's stdout goes (asyncio's `STDOUT`).
    case stdout
}

/// How the loop learns that a child exited.
enum ChildReaper {
    /// A pidfd (Linux 5.3) registered with the reactor: readable once the child exits.
    case pidfd
    /// A thread blocked in `waitpid` for that child, which hands the status to the loop.
    case thread
}

/// A child process as the loop watches it: a pidfd registered with the reactor, named
/// "pid 4242 (sleep)", readable once the child exits; the loop then reaps it with
/// `waitpid(WNOHANG)`. It stays registered until then even when nobody holds its
/// ``Subprocess`` any more, so every child is reaped and none is left a zombie.
///
/// Tasks in ``Subprocess/wait()`` wait on the watch's write side, which takes several
/// waiters (several tasks may wait for one child, as in asyncio); they show as waiting
/// on "wait pid 4242 (sleep) (fd 12)".
///
/// Without pidfds (ENOSYS) the watch's descriptor is a stand-in eventfd that never fires,
/// kept so that waits and the resources view look the same, and a thread blocks in
/// `waitpid` for the child and hands the status to the loop (`onLoop`).
final class ProcessWatch: IOWatch, @unchecked Sendable {
    let pid: Int32
    let reaper: ChildReaper
    /// asyncio's returncode; set on the loop (pidfd), or by the reaping thread (which then
    /// hands the wake-up to the loop).
    private let status = Mutex<Int32?>(nil)
    private(set) var finished = false

    init(fd: Int32, pid: Int32, name: String, loop: EventLoop, reaper: ChildReaper) {
        self.pid = pid
        self.reaper = reaper
        super.init(fd: fd, kind: .process, name: name, loop: loop)
    }

    var returncode: Int32? { status.withLock { $0 } }

    /// Records the status once (from any thread); false when it was known already.
    @discardableResult
    func record(_ code: Int32) -> Bool {
        status.withLock { status in
            guard status == nil else { return false }
            status = code
            return true
        }
    }

    override func handle(events: UInt32) {
        guard reaper == .pidfd else { return }
        reapIfExited()
    }

    /// The pidfd became readable: reap the child unless the event was spurious.
    func reapIfExited() {
        guard returncode == nil else { return }
        var code: Int32 = 0
        let got = asynctop_reap(pid, 0, &code)
        if got == 0 { return }
        // ECHILD: the child was reaped by someone else (SIGCHLD set to SIG_IGN, or a
        // `waitpid(-1)` elsewhere); asyncio reports 255 then, and so do we.
        exited(got == 1 ? code : 255)
    }

    /// The child is gone: stop watching, wake every waiter. On the loop.
    func exited(_ code: Int32) {
        record(code)
        lastActivity = loop.timeBase.now()
        if !finished {
            finished = true
            unregister()
            closeDescriptor()
        }
        wakeWriters()
    }

    override func loopClosed() {
        finished = true
        super.loopClosed()
        // The loop will never see the exit: a thread reaps the child, so that it is not
        // left a zombie. (With `.thread`, the reaping thread is there already.)
        if reaper == .pidfd && returncode == nil {
            Self.reapOnThread(pid: pid) { [self] code in record(code) }
        }
    }

    override var stateDetail: String? { returncode == nil ? "running" : "exited" }

    /// Blocks a new thread in `waitpid` for `pid`, then calls `done` with the returncode
    /// (255 when the child was reaped elsewhere) on that thread.
    static func reapOnThread(pid: Int32, _ done: @escaping @Sendable (Int32) -> Void) {
        Thread.detachNewThread {
            _ = asynctop_set_thread_name("reap \(pid)")
            var code: Int32 = 0
            let got = asynctop_reap(pid, 1, &code)
            done(got == 1 ? code : 255)
        }
    }

    /// Starts the fallback's thread: it reaps the child, records its status at once (so
    /// that `returncode` and `sendSignal` see it) and has the loop wake the waiters.
    func startReapingThread() {
        let loop = loop
        Self.reapOnThread(pid: pid) { [self] code in
            record(code)
            guard !loop.isClosed else { return }
            // Weakly: a loop that closes meanwhile keeps the callback in its inbox, and the
            // watch holds the loop. While registered, the watch is the reactor's.
            loop.onLoop { [weak self] _ in self?.exited(code) }
        }
    }
}

/// A child process started by ``EventLoop/createSubprocessExec(_:_:stdin:stdout:stderr:environment:currentDirectory:limit:)``:
/// asyncio's `asyncio.subprocess.Process`. Use it from tasks of the loop that started it.
///
/// The loop learns of the child's exit from a pidfd in its epoll set, never by polling; a
/// task in ``wait()`` shows as waiting on "wait pid 4242 (sleep) (fd 12)". Cancelling
/// that task leaves the child running and the `Subprocess` usable. A `Subprocess` dropped
/// before its child exited still has the child reaped by the loop.
public final class Subprocess: @unchecked Sendable {
    /// The child's process id.
    public let pid: Int32
    /// The program as given, and its arguments (without the program).
    public let program: String
    public let arguments: [String]
    /// The child's standard input, when it is a ``SubprocessIO/pipe``.
    public let stdin: StreamWriter?
    /// The child's standard output, when it is a ``SubprocessIO/pipe``.
    public let stdout: StreamReader?
    /// The child's standard error, when it is a ``SubprocessIO/pipe``.
    public let stderr: StreamReader?
    let watch: ProcessWatch
    let loop: EventLoop

    init(pid: Int32, program: String, arguments: [String], stdin: StreamWriter?, stdout: StreamReader?,
         stderr: StreamReader?, watch: ProcessWatch, loop: EventLoop) {
        self.pid = pid
        self.program = program
        self.arguments = arguments
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.watch = watch
        self.loop = loop
    }

    /// "pid 4242 (sleep)".
    public var name: String { "pid \(pid) (\(Subprocess.baseName(program)))" }

    /// nil while the child runs; then its exit status, or minus the signal that ended it
    /// (-9 for SIGKILL): asyncio's `returncode`.
    public var returncode: Int32? { watch.returncode }

    private func onLoop(_ what: String) throws {
        guard loop.isOnLoopThread else { throw LoopError.notOnLoop("Subprocess.\(what)") }
    }

    /// Waits until the child exits and returns its ``returncode``: asyncio's `wait()`.
    /// Cancelling the waiting task does not touch the child.
    ///
    /// As in asyncio, a child that writes more to a pipe than the pipe holds waits for a
    /// reader: read its output (or use ``communicate(input:)``) rather than only waiting.
    @discardableResult
    public func wait() async throws -> Int32 {
        try onLoop("wait")
        while true {
            if let code = watch.returncode { return code }
            try await watch.wait(.write, for: .wait)
        }
    }

    /// Sends `input` to the child's stdin and closes it, reads its stdout and stderr to
    /// the end, all at once, then waits for it to exit: asyncio's `communicate()`. The
    /// output of a stream that is not a pipe is nil.
    ///
    /// The input and stderr sides run in tasks of their own ("pid 4242 (cat) stdin",
    /// "… stderr"); the calling task reads stdout. A child that exits without reading all
    /// its input is not an error (as in asyncio: `BrokenPipeError` is ignored).
    public func communicate(input: [UInt8]? = nil) async throws -> (stdout: [UInt8]?, stderr: [UInt8]?) {
        try onLoop("communicate")
        let feeder: TaskHandle<Void>? = try stdin.map { stdin in
            try loop.spawn(name: "\(name) stdin") { try await Subprocess.feed(stdin, input) }
        }
        let errorReader: TaskHandle<[UInt8]>? = try stderr.map { stderr in
            try loop.spawn(name: "\(name) stderr") { try await stderr.read() }
        }
        let cancelHelpers: @Sendable () -> Void = {
            _ = feeder?.cancel()
            _ = errorReader?.cancel()
        }
        do {
            return try await withTaskCancellationHandler {
                let output = try await stdout?.read()
                try await feeder?.value
                let errors = try await errorReader?.value
                try await wait()
                return (output, errors)
            } onCancel: {
                cancelHelpers()
            }
        } catch {
            cancelHelpers()
            throw error
        }
    }

    /// asyncio's `_feed_stdin`: write, drain (a child gone is not an error), close.
    static func feed(_ stdin: StreamWriter, _ input: [UInt8]?) async throws {
        do {
            if let input, !input.isEmpty {
                try stdin.write(input)
                try await stdin.drain()
            }
        } catch let error as IOError where error.isConnectionLost {
            // The child exited (or closed its stdin) without reading everything.
        }
        stdin.close()
    }

    /// Sends `signal` to the child: asyncio's `send_signal()`. Nothing happens once the
    /// child was reaped (its pid may be another process's by then).
    ///
    /// - Throws: `LoopError.notOnLoop` off the loop; `IOError` when `kill(2)` fails.
    public func sendSignal(_ signal: Int32) throws {
        try onLoop("sendSignal")
        guard returncode == nil else { return }
        if Glibc.kill(pid, signal) != 0 {
            throw IOError(errno: errno, doing: "send signal \(signal) to \(name)")
        }
    }

    /// Sends SIGTERM: asyncio's `terminate()`.
    public func terminate() throws { try sendSignal(SIGTERM) }

    /// Sends SIGKILL: asyncio's `kill()`.
    public func kill() throws { try sendSignal(SIGKILL) }

    static func baseName(_ program: String) -> String {
        program.split(separator: "/").last.map(String.init) ?? program
    }

    /// Finds `program` as `execvp` does: as given when it has a slash, else in each
    /// directory of PATH (the PATH of `environment` when one is given, as Python does;
    /// "/bin:/usr/bin" when there is none).
    ///
    /// - Throws: `IOError` ENOENT when no directory has it, EACCES when the only ones
    ///   found may not be executed.
    static func resolve(_ program: String, environment: [String: String]?) throws -> String {
        guard !program.isEmpty else { throw IOError(errno: ENOENT, doing: "start \"\"") }
        if program.contains("/") { return program }
        let searchPath: String = if let environment {
            environment["PATH"] ?? "/bin:/usr/bin"
        } else {
            getenv("PATH").map { String(cString: $0) } ?? "/bin:/usr/bin"
        }
        var denied = false
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + program
            let failed = asynctop_is_executable_file(candidate)
            if failed == 0 { return candidate }
            if failed == EACCES { denied = true }
        }
        throw IOError(errno: denied ? EACCES : ENOENT, doing: "start \(program)")
    }
}

// MARK: Starting processes

extension EventLoop {
    /// Starts `program` with `arguments` and returns it: asyncio's `create_subprocess_exec`.
    ///
    /// A program without a slash is looked up on PATH. Each standard descriptor is a pipe
    /// to this process (``SubprocessIO/pipe``: the pipe's end here is non-blocking and
    /// watched by the loop, `limit` as for ``openConnection(host:port:limit:)``), this
    /// process's own (``SubprocessIO/inherit``, the default), /dev/null, or for `stderr`
    /// the child's stdout. The child gets no other descriptor, and every signal unblocked
    /// at its default action (the loop's thread blocks SIGPIPE).
    ///
    /// - Parameters:
    ///   - environment: the child's whole environment; nil: this process's.
    ///   - currentDirectory: the child's working directory; nil: this process's.
    /// - Throws: `IOError` ENOENT or EACCES ("start <program>") when the program is not
    ///   found or may not be executed; `StreamError.invalidArgument` for `.stdout` as
    ///   stdin or stdout; `LoopError.notOnLoop` off the loop.
    public func createSubprocessExec(
        _ program: String, _ arguments: [String] = [],
        stdin: SubprocessIO = .inherit, stdout: SubprocessIO = .inherit, stderr: SubprocessIO = .inherit,
        environment: [String: String]? = nil, currentDirectory: String? = nil, limit: Int = 65536
    ) async throws -> Subprocess {
        try startSubprocess(program, arguments, stdin: stdin, stdout: stdout, stderr: stderr,
                            environment: environment, currentDirectory: currentDirectory, limit: limit,
                            reaper: .pidfd)
    }

    /// Runs `command` with /bin/sh -c: asyncio's `create_subprocess_shell`.
    public func createSubprocessShell(
        _ command: String,
        stdin: SubprocessIO = .inherit, stdout: SubprocessIO = .inherit, stderr: SubprocessIO = .inherit,
        environment: [String: String]? = nil, currentDirectory: String? = nil, limit: Int = 65536
    ) async throws -> Subprocess {
        try startSubprocess("/bin/sh", ["-c", command], stdin: stdin, stdout: stdout, stderr: stderr,
                            environment: environment, currentDirectory: currentDirectory, limit: limit,
                            reaper: .pidfd)
    }

    /// `reaper: .thread` forces the fallback used without pidfds (tests use it).
    func startSubprocess(
        _ program: String, _ arguments: [String],
        stdin: SubprocessIO, stdout: SubprocessIO, stderr: SubprocessIO,
        environment: [String: String]?, currentDirectory: String?, limit: Int, reaper: ChildReaper
    ) throws -> Subprocess {
        guard isOnLoopThread else { throw LoopError.notOnLoop("createSubprocessExec") }
        guard !isClosedNow else { throw LoopError.closed }
        guard stdin != .stdout, stdout != .stdout else {
            throw StreamError.invalidArgument("createSubprocessExec: .stdout is only for stderr")
        }
        for text in [program] + arguments + (environment.map { Array($0.keys) + Array($0.values) } ?? [])
        where text.utf8.contains(0) {
            throw StreamError.invalidArgument("createSubprocessExec: embedded NUL byte in \(text.debugDescription)")
        }
        if let bad = environment?.keys.first(where: { $0.isEmpty || $0.contains("=") }) {
            throw StreamError.invalidArgument("createSubprocessExec: illegal environment variable name \(bad.debugDescription)")
        }
        let path = try Subprocess.resolve(program, environment: environment)

        // Pipes: both ends close-on-exec (and numbered 10 and up, clear of 0...2); the
        // child's end is dup2'ed onto its standard descriptor, ours becomes non-blocking.
        var ours: [Int32] = []
        var theirs: [Int32] = []
        defer { for fd in theirs { _ = Glibc.close(fd) } }
        func closeOurs() { for fd in ours where fd >= 0 { _ = Glibc.close(fd) } }
        func pipeFor(_ io: SubprocessIO, childReads: Bool) throws -> (ours: Int32, child: Int32) {
            switch io {
            case .inherit: return (-1, ASYNCTOP_SPAWN_INHERIT)
            case .devNull: return (-1, ASYNCTOP_SPAWN_DEVNULL)
            case .stdout: return (-1, ASYNCTOP_SPAWN_STDOUT)
            case .pipe:
                var fds: [Int32] = [-1, -1]
                let failed = asynctop_cloexec_pipe(&fds)
                guard failed == 0 else { throw IOError(errno: failed, doing: "make a pipe for \(program)") }
                let (mine, child) = childReads ? (fds[1], fds[0]) : (fds[0], fds[1])
                ours.append(mine)
                theirs.append(child)
                let nonblocking = asynctop_set_nonblocking(mine)
                guard nonblocking == 0 else { throw IOError(errno: nonblocking, doing: "make a pipe for \(program)") }
                return (mine, child)
            }
        }
        let stdinPipe: (ours: Int32, child: Int32)
        let stdoutPipe: (ours: Int32, child: Int32)
        let stderrPipe: (ours: Int32, child: Int32)
        do {
            stdinPipe = try pipeFor(stdin, childReads: true)
            stdoutPipe = try pipeFor(stdout, childReads: false)
            stderrPipe = try pipeFor(stderr, childReads: false)
        } catch {
            closeOurs()
            throw error
        }

        // argv[0] is the program as given, as asyncio passes it.
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { env in
            env.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp ?? [] { free(pointer) }
        }
        var pid: Int32 = 0
        let failed: Int32 = argv.withUnsafeBufferPointer { argvBuffer in
            func spawn(_ envpBase: UnsafePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
                if let currentDirectory {
                    return currentDirectory.withCString { cwd in
                        asynctop_spawn_process(path, argvBuffer.baseAddress, envpBase, cwd,
                                               stdinPipe.child, stdoutPipe.child, stderrPipe.child, &pid)
                    }
                }
                return asynctop_spawn_process(path, argvBuffer.baseAddress, envpBase, nil,
                                              stdinPipe.child, stdoutPipe.child, stderrPipe.child, &pid)
            }
            if let envp { return envp.withUnsafeBufferPointer { spawn($0.baseAddress) } }
            return spawn(nil)
        }
        for fd in theirs { _ = Glibc.close(fd) }
        theirs = []
        guard failed == 0 else {
            closeOurs()
            let place = currentDirectory.map { " in \($0)" } ?? ""
            throw IOError(errno: failed, doing: "start \(program)\(place)")
        }

        let name = "pid \(pid) (\(Subprocess.baseName(program)))"
        let watch: ProcessWatch
        do {
            watch = try watchChild(pid: pid, name: name, reaper: reaper)
        } catch {
            // Nothing would ever reap the child: stop it now.
            _ = Glibc.kill(pid, SIGKILL)
            var code: Int32 = 0
            _ = asynctop_reap(pid, 1, &code)
            closeOurs()
            throw error
        }

        // From here every descriptor of ours belongs to a registered stream (or is closed
        // when its registration fails), and the child to its watch.
        func stream(_ fd: Int32, _ side: String) throws -> StreamConnection? {
            guard fd >= 0 else { return nil }
            let connection = StreamConnection(fd: fd, kind: .pipe, name: "\(name) \(side)", loop: self, limit: limit)
            ours.removeAll { $0 == fd }
            do { try connection.register() } catch { _ = Glibc.close(fd); throw error }
            return connection
        }
        let inConnection: StreamConnection?
        let outConnection: StreamConnection?
        let errConnection: StreamConnection?
        do {
            inConnection = try stream(stdinPipe.ours, "stdin")
            outConnection = try stream(stdoutPipe.ours, "stdout")
            errConnection = try stream(stderrPipe.ours, "stderr")
        } catch {
            closeOurs()
            throw error
        }
        return Subprocess(pid: pid, program: program, arguments: arguments,
                          stdin: inConnection.map { StreamWriter($0, peer: nil, local: nil) },
                          stdout: outConnection.map { StreamReader($0) },
                          stderr: errConnection.map { StreamReader($0) },
                          watch: watch, loop: self)
    }

    /// Registers the watch that learns of the child's exit: its pidfd, or, without pidfds
    /// (ENOSYS before Linux 5.3, or any other failure to open one), a stand-in eventfd
    /// and a thread that blocks in waitpid for the child and hands the status to the loop.
    private func watchChild(pid: Int32, name: String, reaper: ChildReaper) throws -> ProcessWatch {
        if reaper == .pidfd {
            let pidfd = asynctop_pidfd_open(pid)
            if pidfd >= 0 {
                let watch = ProcessWatch(fd: pidfd, pid: pid, name: name, loop: self, reaper: .pidfd)
                do { try watch.register() } catch { _ = Glibc.close(pidfd); throw error }
                return watch
            }
        }
        let standIn = asynctop_eventfd()
        guard standIn >= 0 else { throw IOError(errno: -standIn, doing: "watch \(name)") }
        let watch = ProcessWatch(fd: standIn, pid: pid, name: name, loop: self, reaper: .thread)
        do { try watch.register() } catch { _ = Glibc.close(standIn); throw error }
        watch.startReapingThread()
        return watch
    }
}

/// Starts `program` on the current loop: asyncio's `create_subprocess_exec`.
public func createSubprocessExec(
    _ program: String, _ arguments: [String] = [],
    stdin: SubprocessIO = .inherit, stdout: SubprocessIO = .inherit, stderr: SubprocessIO = .inherit,
    environment: [String: String]? = nil, currentDirectory: String? = nil, limit: Int = 65536
) async throws -> Subprocess {
    guard let loop = EventLoop.current else { throw LoopError.notOnLoop("createSubprocessExec") }
    return try await loop.createSubprocessExec(program, arguments, stdin: stdin, stdout: stdout, stderr: stderr,
                                               environment: environment, currentDirectory: currentDirectory,
                                               limit: limit)
}

/// Runs `command` with /bin/sh -c on the current loop: asyncio's `create_subprocess_shell`.
public func createSubprocessShell(
    _ command: String,
    stdin: SubprocessIO = .inherit, stdout: SubprocessIO = .inherit, stderr: SubprocessIO = .inherit,
    environment: [String: String]? = nil, currentDirectory: String? = nil, limit: Int = 65536
) async throws -> Subprocess {
    guard let loop = EventLoop.current else { throw LoopError.notOnLoop("createSubprocessShell") }
    return try await loop.createSubprocessShell(command, stdin: stdin, stdout: stdout, stderr: stderr,
                                                environment: environment, currentDirectory: currentDirectory,
                                                limit: limit)
}

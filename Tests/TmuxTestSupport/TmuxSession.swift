import Foundation

/// A detached tmux server of its own (`tmux -L <unique socket>`) running one command,
/// driven with `send-keys` and read with `capture-pane`. Killed on `deinit`.
public final class TmuxSession {
    public static let isAvailable = run(["tmux", "-V"]).status == 0

    private let socket: String

    /// Starts `command` in a new window of `cols` × `rows`. Its exit status is printed after
    /// it ends ("asynctop-exit=0") and the pane stays open, so tests can read both.
    public init(command: String, cols: Int, rows: Int) throws {
        socket = "asynctop-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        // The dashboard draws ASCII under a locale that is not UTF-8 (an unset LANG is "C"):
        // tests that expect its Unicode glyphs get a UTF-8 locale where the caller set none.
        let environment = ProcessInfo.processInfo.environment
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"].contains { !(environment[$0] ?? "").isEmpty } ? "" : "export LANG=C.UTF-8; "
        let shell = "\(locale)\(command); echo asynctop-exit=$?; sleep 600"
        // Not Foundation's Process: the tmux server forks off this call, and waiting on it
        // through Process never returned. posix_spawn and waitpid see the client exit.
        let status = Self.spawnAndWait(["tmux", "-u", "-f", "/dev/null", "-L", socket, "new-session", "-d",
                                        "-x", "\(cols)", "-y", "\(rows)", shell])
        let result = (status: status, output: "status \(status)")
        guard result.status == 0 else { throw SessionError(message: "tmux new-session failed: \(result.output)") }
    }

    // Commands whose output is not needed go through posix_spawn (see init).
    deinit { _ = Self.spawnAndWait(["tmux", "-L", socket, "kill-server"]) }

    /// Sends key names as tmux spells them ("j", "Enter", "Escape", "F10").
    public func send(_ keys: String...) { _ = Self.spawnAndWait(["tmux", "-L", socket, "send-keys"] + keys) }

    /// Types text literally.
    public func type(_ text: String) { _ = Self.spawnAndWait(["tmux", "-L", socket, "send-keys", "-l", text]) }

    /// Resizes the window, as dragging a terminal's corner would. - Returns: tmux's exit status.
    public func resize(cols: Int, rows: Int) -> Int32 {
        Self.spawnAndWait(["tmux", "-L", socket, "resize-window", "-x", "\(cols)", "-y", "\(rows)"])
    }

    /// The pane's text now.
    public func capture() -> String { tmux("capture-pane", "-p").output }

    /// True while the pane shows the alternate screen (a full-screen program is drawing).
    public func alternateScreenOn() -> Bool {
        tmux("display-message", "-p", "#{alternate_on}").output.trimmingCharacters(in: .whitespacesAndNewlines) == "1"
    }

    /// The pane's text with the lines scrolled off its top.
    public func captureWithHistory() -> String { tmux("capture-pane", "-p", "-S", "-").output }

    /// True while the pane shows its cursor (a full-screen program may hide it).
    public func cursorVisible() -> Bool {
        tmux("display-message", "-p", "#{cursor_flag}").output.trimmingCharacters(in: .whitespacesAndNewlines) == "1"
    }

    /// The process id of the command (the child of the pane's shell).
    public func commandPID() -> Int32? {
        guard let shell = Int32(tmux("display-message", "-p", "#{pane_pid}").output.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return nil }
        let children = Self.run(["pgrep", "-P", "\(shell)"]).output
        return children.split(separator: "\n").first.flatMap { Int32($0) }
    }

    /// Polls the pane until `condition` holds or `timeout` passes.
    /// - Returns: The last capture, whether or not the condition held; check it with #expect.
    @discardableResult
    /// The default timeout is generous: the whole suite runs its tmux sessions of debug
    /// binaries at once, and on two cores a first frame can take many seconds; a wait that
    /// succeeds returns as soon as it does.
    public func waitFor(timeout: Duration = .seconds(25), _ condition: (String) -> Bool) -> String {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var text = capture()
        while !condition(text) && clock.now < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            text = capture()
        }
        return text
    }

    /// Waits for text to appear. - Returns: Whether it did before the timeout.
    public func waitFor(_ text: String, timeout: Duration = .seconds(25)) -> Bool {
        waitFor(timeout: timeout) { $0.contains(text) }.contains(text)
    }

    private func tmux(_ arguments: String...) -> (status: Int32, output: String) { tmux(arguments) }

    private func tmux(_ arguments: [String]) -> (status: Int32, output: String) {
        Self.run(["tmux", "-L", socket] + arguments)
    }

    /// Runs a program from PATH and returns its status and standard output and error.
    ///
    /// posix_spawn and waitpid, not Foundation's Process: waiting through Process never
    /// returned once tmux servers had forked off earlier calls.
    public static func run(_ arguments: [String], stdinPath: String = "/dev/null") -> (status: Int32, output: String) {
        let outputPath = NSTemporaryDirectory() + "asynctop-run-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let status = spawnAndWait(arguments, stdinPath: stdinPath, outputPath: outputPath)
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return (status, output)
    }

    /// ``run(_:stdinPath:)`` on a thread of its own, for async tests of programs that take
    /// seconds: a test that waits synchronously holds a thread of Swift's cooperative
    /// pool, which has one per core, and two such tests at once on a 2-core machine starve
    /// every other test's tasks.
    public static func runOffPool(_ arguments: [String], stdinPath: String = "/dev/null") async -> (status: Int32, output: String) {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: run(arguments, stdinPath: stdinPath)) }.start()
        }
    }

    /// Runs a program from PATH, output to `outputPath` (or discarded). - Returns: Its exit status.
    public static func spawnAndWait(_ arguments: [String], stdinPath: String = "/dev/null",
                             outputPath: String = "/dev/null") -> Int32 {
        guard let pid = spawn(arguments, stdinPath: stdinPath, outputPath: outputPath) else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }

    /// Starts a program (found on PATH when the name has no slash) with standard input from
    /// `stdinPath`, output and errors to `outputPath`, and `environment` added to ours (or
    /// replacing ours, name by name).
    /// - Returns: Its pid, or nil when it could not start.
    public static func spawn(_ arguments: [String], stdinPath: String = "/dev/null",
                             outputPath: String = "/dev/null", environment extra: [String] = []) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // Test threads block most signals and children inherit the mask: a tmux server
        // started so would ignore kill-server and SIGTERM. Start children unblocked.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var environment: [String] = []
        var entry = environ
        while let pointer = entry.pointee {
            environment.append(String(cString: pointer))
            entry += 1
        }
        // A variable given replaces ours of the same name (two entries would be read differently
        // by C's getenv, the first, and Foundation, the last).
        let replaced = Set(extra.map { $0.prefix { $0 != "=" } })
        environment.removeAll { replaced.contains($0.prefix { $0 != "=" }) }
        var envp = (environment + extra).map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawnp(&pid, arguments[0], &actions, &attributes, &argv, &envp) == 0 else { return nil }
        return pid
    }

    public struct SessionError: Error { public let message: String }
}

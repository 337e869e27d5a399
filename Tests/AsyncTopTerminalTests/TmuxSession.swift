import Foundation

/// A detached tmux server of its own (`tmux -L <unique socket>`) running one command,
/// driven with `send-keys` and read with `capture-pane`. Killed on `deinit`.
final class TmuxSession {
    static let isAvailable = run(["tmux", "-V"]).status == 0

    private let socket: String

    /// Starts `command` in a new window of `cols` × `rows`. Its exit status is printed after
    /// it ends ("asynctop-exit=0") and the pane stays open, so tests can read both.
    init(command: String, cols: Int, rows: Int) throws {
        socket = "asynctop-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        let shell = "\(command); echo asynctop-exit=$?; sleep 600"
        // Not Foundation's Process: the tmux server forks off this call, and waiting on it
        // through Process never returned. posix_spawn and waitpid see the client exit.
        let status = Self.spawnAndWait(["tmux", "-u", "-f", "/dev/null", "-L", socket, "new-session", "-d",
                                        "-x", "\(cols)", "-y", "\(rows)", shell])
        let result = (status: status, output: "status \(status)")
        guard result.status == 0 else { throw SessionError(message: "tmux new-session failed: \(result.output)") }
    }

    deinit { _ = tmux("kill-server") }

    /// Sends key names as tmux spells them ("j", "Enter", "Escape", "F10").
    func send(_ keys: String...) { _ = tmux(["send-keys"] + keys) }

    /// Types text literally.
    func type(_ text: String) { _ = tmux("send-keys", "-l", text) }

    func resize(cols: Int, rows: Int) { _ = tmux("resize-window", "-x", "\(cols)", "-y", "\(rows)") }

    /// The pane's text now.
    func capture() -> String { tmux("capture-pane", "-p").output }

    /// The process id of the command (the child of the pane's shell).
    func commandPID() -> Int32? {
        guard let shell = Int32(tmux("display-message", "-p", "#{pane_pid}").output.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return nil }
        let children = Self.run(["pgrep", "-P", "\(shell)"]).output
        return children.split(separator: "\n").first.flatMap { Int32($0) }
    }

    /// Polls the pane until `condition` holds or `timeout` passes.
    /// - Returns: The last capture, whether or not the condition held; check it with #expect.
    @discardableResult
    func waitFor(timeout: Duration = .seconds(10), _ condition: (String) -> Bool) -> String {
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
    func waitFor(_ text: String, timeout: Duration = .seconds(10)) -> Bool {
        waitFor(timeout: timeout) { $0.contains(text) }.contains(text)
    }

    private func tmux(_ arguments: String...) -> (status: Int32, output: String) { tmux(arguments) }

    private func tmux(_ arguments: [String]) -> (status: Int32, output: String) {
        Self.run(["tmux", "-L", socket] + arguments)
    }

    /// Runs a program from PATH and returns its status and standard output and error.
    static func run(_ arguments: [String], stdin: FileHandle? = nil) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        if let stdin { process.standardInput = stdin }
        do { try process.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs a program from PATH with standard streams on /dev/null. - Returns: Its exit status.
    static func spawnAndWait(_ arguments: [String]) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0...2 {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawnp(&pid, arguments[0], &actions, nil, &argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }

    struct SessionError: Error { let message: String }
}

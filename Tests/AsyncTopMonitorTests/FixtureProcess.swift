import Foundation
import TmuxTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A child process running `asynctop-monitor-fixture` on a socket in a fresh private
/// directory; killed and reaped on `stop()` or `deinit`.
final class FixtureProcess {
    let directory: String
    let socket: String
    let outputPath: String
    private(set) var pid: pid_t = 0

    init(extra: [String] = [], socketName: String = "m.sock") throws {
        directory = "/tmp/at-\(UUID().uuidString.prefix(8))"
        mkdir(directory, 0o700)
        socket = directory + "/" + socketName
        outputPath = directory + "/out.txt"
        guard let binary = BuiltBinary.monitorFixture else { throw Failure("fixture not built") }
        pid = try Self.spawn([binary, socket] + extra.map { $0.replacingOccurrences(of: "{dir}", with: directory) }, output: outputPath)
        try waitForSocket()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ text: String) { description = text }
    }

    func waitForSocket(timeout: Double = 10) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? String(contentsOfFile: outputPath, encoding: .utf8))?.contains("ready") == true,
               FileManager.default.fileExists(atPath: socket) { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw Failure("the fixture did not become ready: \((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")")
    }

    /// Sends `signal` and reaps the child. - Returns: its wait status.
    @discardableResult
    func stop(signal: Int32 = SIGKILL) -> Int32 {
        guard pid > 0 else { return 0 }
        kill(pid, signal)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        pid = 0
        return status
    }

    static func spawn(_ arguments: [String], output: String, environment extra: [String] = []) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
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
        var envp = (environment + extra).map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, &argv, &envp)
        guard result == 0 else { throw Failure("posix_spawn failed: \(result)") }
        return pid
    }
}

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

    /// - Parameter prepare: given the fixture's path and the run's directory, gives the binary
    ///   to run instead (a changed copy of the fixture).
    init(extra: [String] = [], socketName: String = "m.sock", environment: [String] = [],
         prepare: ((_ fixture: String, _ directory: String) throws -> String)? = nil) throws {
        directory = "/tmp/at-\(UUID().uuidString.prefix(8))"
        mkdir(directory, 0o700)
        socket = directory + "/" + socketName
        outputPath = directory + "/out.txt"
        guard let fixture = BuiltBinary.monitorFixture else { throw Failure("fixture not built") }
        let binary = try prepare?(fixture, directory) ?? fixture
        let arguments = [binary, socket] + extra.map { $0.replacingOccurrences(of: "{dir}", with: directory) }
        // A binary written just now can be "busy" for a moment: a child another test forked
        // meanwhile holds the written file open until it execs. Try again a little later.
        var tries = prepare == nil ? 1 : 40
        while true {
            do {
                pid = try Self.spawn(arguments, output: outputPath, environment: environment)
                break
            } catch {
                tries -= 1
                if tries == 0 { throw error }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        try waitForSocket()
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

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

    /// The child was reaped by the caller: nothing left to stop.
    func forget() { pid = 0 }

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
        guard let pid = TmuxSession.spawn(arguments, outputPath: output, environment: extra) else {
            throw Failure("posix_spawn failed for \(arguments[0])")
        }
        return pid
    }
}

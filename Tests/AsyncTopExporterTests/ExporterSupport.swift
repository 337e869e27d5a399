import Foundation
import Testing
import TmuxTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Tools of the Prometheus project the tests use: found on PATH. In CI (`CI=true`) a missing
/// tool fails its tests; elsewhere they are skipped, saying why.
enum PrometheusTools {
    static let inCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let promtool = which("promtool")
    static let prometheus = which("prometheus")

    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The tool's path; in CI, records a failure when it is missing.
    static func require(_ path: String?, _ name: String) -> String? {
        if path == nil { Issue.record("\(name) is not installed (Debian package prometheus; .ci/run installs it)") }
        return path
    }
}

/// A scratch directory under /tmp, removed on deinit (short: socket paths are limited to 108 bytes).
final class Scratch {
    let path: String
    init() {
        path = "/tmp/ate-\(UUID().uuidString.prefix(8))"
        mkdir(path, 0o700)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A child process with its output in a file; killed and reaped on `stop()` or deinit.
final class Child {
    let outputPath: String
    private(set) var pid: pid_t = 0
    private var status: Int32?

    init(_ arguments: [String], output: String) throws {
        outputPath = output
        guard let pid = TmuxSession.spawn(arguments, outputPath: output) else { throw Failure("cannot start \(arguments[0])") }
        self.pid = pid
    }

    deinit { stop() }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// Waits for `text` in the output.
    func waitFor(_ text: String, timeout: Double = 15) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if output.contains(text) { return true }
            if exited() != nil { return output.contains(text) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    /// The exit status if it has ended (reaping it), else nil.
    func exited() -> Int32? {
        if let status { return status }
        guard pid > 0 else { return nil }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        pid = 0
        status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        return status
    }

    /// Waits up to `timeout` seconds for it to end by itself.
    func waitForExit(timeout: Double = 15) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let status = exited() { return status }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    func stop(signal: Int32 = SIGKILL) {
        guard pid > 0 else { return }
        kill(pid, signal)
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
        pid = 0
        status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ text: String) { description = text }
}

/// `asynctop-monitor-fixture` serving `socket`, with `tasks` extra idle tasks (and `extra`
/// arguments).
func startFixture(socket: String, tasks: Int = 0, extra: [String] = []) throws -> Child {
    guard let fixture = BuiltBinary.monitorFixture else { throw Failure("asynctop-monitor-fixture not built") }
    let child = try Child([fixture, socket, "--tasks", "\(tasks)"] + extra, output: socket + ".out")
    guard child.waitFor("ready"), FileManager.default.fileExists(atPath: socket) else {
        throw Failure("the fixture did not become ready: \(child.output)")
    }
    return child
}

/// The real `asynctop exporter` on a port of the system's choosing, started and listening.
final class ExporterProcess {
    let child: Child
    let port: UInt16

    init(_ targets: [String], scratch: Scratch, extra: [String] = []) throws {
        guard let binary = BuiltBinary.asynctop else { throw Failure("asynctop not built") }
        child = try Child([binary, "exporter", "--listen", "127.0.0.1:0"] + extra + targets,
                          output: scratch.path + "/exporter-\(UUID().uuidString.prefix(4)).out")
        guard child.waitFor("/metrics for"),
              let line = child.output.split(separator: "\n").first(where: { $0.contains("serving http://127.0.0.1:") }),
              let port = line.split(separator: ":").last.flatMap({ UInt16($0.prefix { $0.isNumber }) }) else {
            throw Failure("the exporter did not start: \(child.output)")
        }
        self.port = port
    }

    func get(_ path: String = "/metrics") -> HTTPGet.Response? { HTTPGet.get(port: port, path: path) }

    /// Scrapes until `condition` holds for the body (at most `timeout` seconds); the last body.
    func scrape(until condition: (String) -> Bool, timeout: Double = 15) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var body = ""
        while Date() < deadline {
            body = get()?.body ?? ""
            if condition(body) { return body }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return body
    }
}

/// The value of the sample `series` (`name{labels}` exactly as printed) in exposition text.
func sample(_ text: String, _ series: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}

/// A free TCP port on 127.0.0.1 (bound and let go: good enough for a test).
func freePort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return UInt16(bigEndian: address.sin_port)
}

/// A Unix socket that is not a monitor: each connection gets `reply` (garbage, or nothing
/// with nil) and stays open until the socket is closed.
final class DirtySocket: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private var clients: [Int32] = []
    private let lock = NSLock()

    init(path: String, reply: [UInt8]?) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in path.utf8CString.withUnsafeBytes { raw.copyMemory(from: $0) } }
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard bound == 0, listen(fd, 16) == 0 else { throw Failure("cannot serve \(path): errno \(errno)") }
        let thread = Thread { [self, fd] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { if errno == EINTR { continue } else { return } }
                lock.withLock { clients.append(client) }
                if let reply { _ = reply.withUnsafeBytes { send(client, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) } }
            }
        }
        thread.start()
    }

    func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
        lock.withLock { for client in clients { Glibc.close(client) } }
        unlink(path)
    }
}

import AsyncTopClient
import AsyncTopModel
import Foundation
import Testing
import TmuxTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `ASYNCTOP_SOCKET` and `ASYNCTOP_RECORD` without a code change, for every loop: a
/// program that makes its own loop (`EventLoop(name:)` + `runUntilComplete`) and
/// `asynctop demo` are served and recorded as `EventLoop.run` is.
@Suite(.offCooperativePool, .serialized, .enabled(if: BuiltBinary.monitorFixture != nil && BuiltBinary.asynctop != nil, "binaries not built"))
struct EnvironmentMonitorTests {
    let directory: String

    init() {
        directory = "/tmp/at-\(UUID().uuidString.prefix(8))"
        mkdir(directory, 0o700)
    }

    func asynctop(_ arguments: String...) -> (status: Int32, output: String) {
        TmuxSession.run([BuiltBinary.asynctop!] + arguments)
    }

    func waitForFile(_ path: String, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    func reap(_ pid: pid_t, signal: Int32 = SIGKILL) {
        guard pid > 0 else { return }
        kill(pid, signal)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }

    @Test func aLoopMadeWithoutAMonitorIsServedAndRecorded() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/plain.sock", recording = directory + "/plain.ndjson"
        var pid = try FixtureProcess.spawn([BuiltBinary.monitorFixture!, "--plain-loop"], output: directory + "/out.txt",
                                           environment: ["ASYNCTOP_SOCKET=\(socket)", "ASYNCTOP_RECORD=\(recording)"])
        defer { reap(pid) }
        #expect(waitForFile(socket), "\((try? String(contentsOfFile: directory + "/out.txt", encoding: .utf8)) ?? "")")
        let ps = asynctop("ps", socket)
        #expect(ps.status == 0 && ps.output.contains("sleeper-1") && ps.output.contains("ticker"), "\(ps.output)")
        #expect(asynctop("pstree", socket).output.contains("main ("))
        // The recording grows while the loop runs; ps reads its last frame after SIGTERM.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline,
              !(FileManager.default.contents(atPath: recording).map { String(decoding: $0, as: UTF8.self) } ?? "").contains("sleeper-3") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        reap(pid, signal: SIGTERM)
        pid = 0
        let loaded = Recording(bytes: [UInt8](FileManager.default.contents(atPath: recording) ?? Data()))
        #expect(loaded.stoppedAtLine == nil && loaded.hello?.loopName == "plain" && loaded.frameCount >= 1)
        let recorded = asynctop("ps", recording)
        #expect(recorded.status == 0 && recorded.output.contains("sleeper-3"), "\(recorded.output)")
        var info = stat()
        #expect(stat(recording, &info) == 0 && info.st_mode & 0o777 == 0o600)
        // And the dashboard replays it.
        if TmuxSession.isAvailable {
            let replay = try TmuxSession(command: "'\(BuiltBinary.asynctop!)' replay '\(recording)'", cols: 130, rows: 40)
            let screen = replay.waitFor { $0.contains("sleeper-3") && $0.contains("ticker") }
            #expect(screen.contains("sleeper-3") && screen.contains("replay"), "\(screen)")
            replay.send("q")
            #expect(replay.waitFor("asynctop-exit=0"))
        }
    }

    /// `ASYNCTOP_RECORD` alone records the first loop without serving a socket.
    @Test func recordAloneRecords() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recording = directory + "/alone.ndjson"
        var pid = try FixtureProcess.spawn([BuiltBinary.monitorFixture!, "--plain-loop"], output: directory + "/out.txt",
                                           environment: ["ASYNCTOP_RECORD=\(recording)"])
        defer { reap(pid) }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline,
              !(FileManager.default.contents(atPath: recording).map { String(decoding: $0, as: UTF8.self) } ?? "").contains("ticker") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        reap(pid, signal: SIGTERM)
        pid = 0
        let ps = asynctop("ps", recording)
        #expect(ps.status == 0 && ps.output.contains("ticker"), "\(ps.output)")
    }

    /// `asynctop demo NAME --headless` runs its demo on a loop of its own: the variable
    /// serves it, and records it.
    @Test func aHeadlessDemoIsServedAndRecorded() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/demo.sock", recording = directory + "/demo.ndjson"
        // Slowed down, so that the demo is still running when ps asks.
        let pid = try FixtureProcess.spawn([BuiltBinary.asynctop!, "demo", "gather", "--headless", "--speed", "0.1"],
                                           output: directory + "/demo.txt",
                                           environment: ["ASYNCTOP_SOCKET=\(socket)", "ASYNCTOP_RECORD=\(recording)"])
        #expect(waitForFile(socket), "\((try? String(contentsOfFile: directory + "/demo.txt", encoding: .utf8)) ?? "")")
        let ps = TmuxSession.run([BuiltBinary.asynctop!, "ps", socket])
        #expect(ps.status == 0 && ps.output.contains("main"), "\(ps.output)")
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        #expect(status == 0, "the demo ends as usual: \((try? String(contentsOfFile: directory + "/demo.txt", encoding: .utf8)) ?? "")")
        #expect(!FileManager.default.fileExists(atPath: socket), "the socket goes with the loop")
        let loaded = Recording(bytes: [UInt8](FileManager.default.contents(atPath: recording) ?? Data()))
        #expect(loaded.stoppedAtLine == nil && loaded.frameCount >= 2, "\(loaded.problem ?? "")")
        #expect(loaded.hello?.loopName == "demo gather")
        let recorded = TmuxSession.run([BuiltBinary.asynctop!, "ps", recording])
        #expect(recorded.status == 0 && recorded.output.contains("main"), "\(recorded.output)")
    }
}

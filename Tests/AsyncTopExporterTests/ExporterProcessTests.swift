import AsyncTopClient
import Foundation
import Testing
import TmuxTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The real `asynctop exporter` (in CI, the release binary: `ASYNCTOP_BINARY`) on monitored
/// fixtures, sockets that are not monitors, and targets that never were or go away.
@Suite(.offCooperativePool, .serialized,
       .enabled(if: BuiltBinary.asynctop != nil, "asynctop not found next to the test bundle"))
struct ExporterProcessTests {
    @Test func servesADirectoryOfProcessesAsTheyComeAndGo() throws {
        let scratch = Scratch()
        let fleet = scratch.path + "/fleet"
        mkdir(fleet, 0o700)
        let first = try startFixture(socket: fleet + "/a.sock", tasks: 3)
        let lonely = try startFixture(socket: scratch.path + "/lonely.sock")
        let never = scratch.path + "/never.sock"
        let a = fleet + "/a.sock", lonelySocket = scratch.path + "/lonely.sock"
        let exporter = try ExporterProcess([fleet, lonelySocket, never], scratch: scratch)

        // The page and the 404.
        let index = try #require(exporter.get("/"))
        #expect(index.status == 200)
        #expect(index.body.contains("/metrics") && index.body.contains(fleet))
        #expect(exporter.get("/nope")?.status == 404)
        #expect(exporter.get("/metrics/x")?.status == 404)

        // Up, and past the fixture's start: its parked tasks are in the data it sent.
        let fixtureProcess = "asynctop-monitor-fixture[\(first.pid)]"
        var text = exporter.scrape {
            sample($0, "asynctop_target_up{target=\"\(a)\"}") == 1 && sample($0, "asynctop_target_up{target=\"\(lonelySocket)\"}") == 1
                && (sample($0, "asynctop_tasks{process=\"\(fixtureProcess)\",loop=\"fixture\",state=\"suspended\"}") ?? 0) >= 3
        }
        let metrics = try #require(exporter.get())
        #expect(metrics.status == 200)
        #expect(metrics.headers.lowercased().contains("content-type: text/plain; version=0.0.4"))
        let process = "asynctop-monitor-fixture[\(first.pid)]"
        #expect(sample(text, "asynctop_target_up{target=\"\(never)\"}") == 0, "\(text)")
        #expect(exporter.child.output.contains("\(never): no such socket or directory yet"), "\(exporter.child.output)")
        let suspended = sample(text, "asynctop_tasks{process=\"\(process)\",loop=\"fixture\",state=\"suspended\"}")
        #expect((suspended ?? 0) >= 3, "\(text)")
        #expect(sample(text, "asynctop_lints{process=\"\(process)\",loop=\"fixture\",kind=\"deadlock\"}") == 0)
        #expect(sample(text, "asynctop_target_data_age_seconds{target=\"\(a)\"}").map { $0 < 5 } == true)
        // Each scrape counts itself.
        let scrapes = try #require(sample(text, "asynctop_exporter_scrapes_total"))
        #expect(sample(metrics.body, "asynctop_exporter_scrapes_total") == scrapes + 1)

        // A second process in the directory is picked up.
        let b = fleet + "/b.sock"
        let second = try startFixture(socket: b, tasks: 1)
        text = exporter.scrape { sample($0, "asynctop_target_up{target=\"\(b)\"}") == 1 }
        #expect(text.contains("process=\"asynctop-monitor-fixture[\(second.pid)]\""), "\(text)")

        // One leaves its directory (SIGTERM removes its socket): its series go away.
        first.stop(signal: SIGTERM)
        text = exporter.scrape { !$0.contains(a + "\"") }
        #expect(!text.contains(process), "\(text)")
        #expect(!text.contains("target=\"\(a)\""))

        // A socket named on the command line that dies (SIGKILL leaves the file): up 0, no series.
        let lonelyProcess = "asynctop-monitor-fixture[\(lonely.pid)]"
        lonely.stop()
        text = exporter.scrape { sample($0, "asynctop_target_up{target=\"\(lonelySocket)\"}") == 0 }
        #expect(sample(text, "asynctop_target_up{target=\"\(lonelySocket)\"}") == 0, "\(text)")
        #expect(!text.contains(lonelyProcess))
        #expect(exporter.child.exited() == nil)
    }

    @Test func eachLoopOfAProcessHasItsOwnSeries() throws {
        let scratch = Scratch()
        let socket = scratch.path + "/loops.sock"
        let child = try startFixture(socket: socket, extra: ["--second-loop"])
        let exporter = try ExporterProcess([socket], scratch: scratch)
        let process = "asynctop-monitor-fixture[\(child.pid)]"
        func suspended(_ loop: String, _ text: String) -> Double? {
            sample(text, "asynctop_tasks{process=\"\(process)\",loop=\"\(loop)\",state=\"suspended\"}")
        }
        let text = exporter.scrape { suspended("workers", $0) == 5 && (suspended("fixture", $0) ?? 0) >= 8 }
        #expect(suspended("workers", text) == 5, "\(text)")
        #expect((suspended("fixture", text) ?? 0) >= 8)
        #expect(sample(text, "asynctop_executor_queue_depth{process=\"\(process)\",loop=\"workers\",executor=\"workers\"}") != nil)
        #expect(!text.contains("loop=\"fixture, workers\""))
    }

    @Test func aStuckTargetIsAnsweredFromItsLastDataWithItsAge() throws {
        let scratch = Scratch()
        let socket = scratch.path + "/stuck.sock"
        let fixture = try startFixture(socket: socket, tasks: 4)
        let exporter = try ExporterProcess([socket], scratch: scratch)
        let suspended = "asynctop_tasks{process=\"asynctop-monitor-fixture[\(fixture.pid)]\",loop=\"fixture\",state=\"suspended\"}"
        let fresh = exporter.scrape { sample($0, suspended) != nil }
        let count = try #require(sample(fresh, suspended), "\(fresh)")
        // Stopped, the process sends nothing more but its socket stays connected.
        kill(fixture.pid, SIGSTOP)
        defer { kill(fixture.pid, SIGCONT) }
        let age = "asynctop_target_data_age_seconds{target=\"\(socket)\"}"
        let stale = exporter.scrape(until: { (sample($0, age) ?? 0) >= 1.5 }, timeout: 10)
        #expect((sample(stale, age) ?? 0) >= 1.5, "\(stale)")
        #expect(sample(stale, suspended) == count)
        #expect(sample(stale, "asynctop_target_up{target=\"\(socket)\"}") == 1)
        kill(fixture.pid, SIGCONT)
        let again = exporter.scrape { (sample($0, age) ?? 99) < 1 }
        #expect((sample(again, age) ?? 99) < 1, "\(again)")
    }

    @Test func socketsThatAreNotMonitorsDoNotHarmIt() throws {
        let scratch = Scratch()
        var garbage: [UInt8] = Array("{\"type\":\"hello\",\"protocol\":\n\u{0}\u{1}not json at all\n".utf8)
        garbage += (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }
        garbage += Array("{\"type\":\"delta\",\"dropped\":1,\"delta\":{\"nonsense\":true}}\n".utf8)
        let noisy = try DirtySocket(path: scratch.path + "/noisy.sock", reply: garbage)
        let silent = try DirtySocket(path: scratch.path + "/silent.sock", reply: nil)
        defer { noisy.close(); silent.close() }
        let plainFile = scratch.path + "/file.sock"
        _ = FileManager.default.createFile(atPath: plainFile, contents: Data("hello".utf8))
        let fixture = try startFixture(socket: scratch.path + "/good.sock")
        let exporter = try ExporterProcess([scratch.path], scratch: scratch)
        let good = scratch.path + "/good.sock"

        let text = exporter.scrape { sample($0, "asynctop_target_up{target=\"\(good)\"}") == 1 }
        #expect(sample(text, "asynctop_target_up{target=\"\(noisy.path)\"}") == 0, "\(text)")
        #expect(sample(text, "asynctop_target_up{target=\"\(silent.path)\"}") == 0)
        // A regular file in the directory is not a target.
        #expect(!text.contains(plainFile))
        #expect(text.contains("process=\"asynctop-monitor-fixture[\(fixture.pid)]\""))
        // Scraped again while the bad sockets keep failing and reconnecting: still answering.
        for _ in 0..<5 {
            #expect(exporter.get()?.status == 200)
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(exporter.child.exited() == nil, "\(exporter.child.output)")
    }

    @Test func httpClientsThatMisbehaveDoNotStopIt() throws {
        let scratch = Scratch()
        let exporter = try ExporterProcess([scratch.path + "/x.sock"], scratch: scratch)
        /// A TCP connection to the exporter that sends `bytes` and is kept open.
        func connection(sending bytes: [UInt8]) -> Int32 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = exporter.port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            return fd
        }
        let silent = connection(sending: [])
        let garbage = connection(sending: (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let endless = connection(sending: Array(repeating: UInt8(ascii: "a"), count: 40_000))
        let broken = connection(sending: Array("NOT-HTTP\r\n\r\n".utf8))
        defer { for fd in [silent, garbage, endless, broken] { close(fd) } }
        // While those hang or were refused, a scrape is answered; a query string is ignored.
        #expect(exporter.get("/metrics?debug=1")?.status == 200)
        #expect(exporter.get("/metrics")?.body.contains("asynctop_target_up{") == true)
        var reply = [UInt8](repeating: 0, count: 200)
        let n = recv(broken, &reply, reply.count, 0)
        #expect(String(decoding: reply.prefix(max(n, 0)), as: UTF8.self).hasPrefix("HTTP/1.1 400"))
        #expect(exporter.child.exited() == nil)
    }

    @Test func aBusyPortIsNamedAndFailsTheCommand() throws {
        let scratch = Scratch()
        let exporter = try ExporterProcess([scratch.path + "/x.sock"], scratch: scratch)
        let binary = try #require(BuiltBinary.asynctop)
        let second = try Child([binary, "exporter", "--listen", "127.0.0.1:\(exporter.port)", scratch.path + "/x.sock"],
                               output: scratch.path + "/second.out")
        let status = second.waitForExit()
        #expect(status != nil && status != 0, "\(second.output)")
        #expect(second.output.contains("port \(exporter.port) is already in use"), "\(second.output)")
    }

    @Test(arguments: ["0.0.0.0:9464", "192.168.1.20:9464", "[::]:9464"])
    func anAddressBeyondThisMachineIsRefused(_ address: String) throws {
        let scratch = Scratch()
        let binary = try #require(BuiltBinary.asynctop)
        let child = try Child([binary, "exporter", "--listen", address, scratch.path + "/x.sock"], output: scratch.path + "/out")
        #expect(child.waitForExit() == 64, "\(child.output)")
        #expect(child.output.contains("not a loopback address") && child.output.contains("--allow-remote"), "\(child.output)")
    }
}

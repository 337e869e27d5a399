import AsyncTopModel
import Foundation
import Synchronization
import Testing
import TmuxTestSupport
@testable import AsyncTopRuntime

/// One picture of a loop for everyone in the process who watches it: the monitor's clients,
/// the dashboard, recordings and the tracer share the loop's work.
///
/// Off the cooperative pool: the watchers' asks block (up to seconds on a loaded machine).
@Suite(.offCooperativePool) struct PublisherTests {
    /// A loop running `tasks` sleepers and a ticker that keeps changing, on a task of its own;
    /// `stop` ends it.
    func busyLoop(_ name: String, tasks: Int) async throws -> (EventLoop, Task<Void, any Error>, Flag) {
        let loop = EventLoop(name: name)
        let ready = Atomic<Bool>(false)
        let stop = Flag()
        let run = Task.detached {
            try await loop.runUntilComplete {
                for i in 0..<tasks { try spawn(name: "idle-\(i)") { try await sleep(3600) } }
                try spawn(name: "ticker") { while true { try await sleep(0.005) } }
                ready.store(true, ordering: .releasing)
                while !stop.isSet { try await sleep(0.01) }
            }
        }
        while !ready.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(2)) }
        return (loop, run, stop)
    }

    /// Four watchers at 10 Hz and more (two dashboards, a recording, a monitor server with a
    /// client): the loop builds about ten deltas a second for all of them, not one each.
    @Test func everyWatcherSharesOneRequestPerInterval() async throws {
        let (loop, run, stop) = try await busyLoop("shared", tasks: 2_000)
        let socket = NSTemporaryDirectory() + "publisher-\(getpid())-\(UUID().uuidString.prefix(6)).sock"
        var configuration = MonitorConfiguration.socket(socket)
        configuration.everyLoop = false
        let server = try loop.startMonitor(configuration)
        defer { server.stop() }
        let before = loop.requestedBuilds.load(ordering: .relaxed)
        let seconds = 2.0
        let pictures = Mutex<[Snapshot]>([])
        let asked = Mutex(0)
        let finished = Mutex<[Date]>([])
        // The builds counted where the watching ends, by the watchers themselves: the test's
        // own task may be kept waiting long after on a loaded machine.
        let builtAtEnd = Mutex(0)
        @Sendable func done() {
            let count = loop.requestedBuilds.load(ordering: .relaxed)
            builtAtEnd.withLock { $0 = max($0, count) }
            finished.withLock { $0.append(Date()) }
        }
        let start = Date()
        let watchers = (0..<3).map { n in
            Thread {
                var held = Snapshot(epoch: loop.epoch, loopName: loop.name)
                let end = Date().addingTimeInterval(seconds)
                while Date() < end {
                    if n == 2 {
                        // As a recording: the changes since what it holds.
                        let (delta, current) = loop.published(after: held, timeout: 5)
                        held = held.applying(delta)
                        #expect(held.tasks.map(\.id) == current.tasks.map(\.id))
                    } else {
                        held = loop.published(timeout: 5)
                    }
                    asked.withLock { $0 += 1 }
                    Thread.sleep(forTimeInterval: n == 0 ? 0.1 : 0.03)
                }
                pictures.withLock { $0.append(held) }
                done()
            }
        }
        let client = Thread {
            if let connection = try? MonitorConnectionProbe(path: socket) { connection.read(for: seconds) }
            done()
        }
        for thread in watchers + [client] { thread.start() }
        while finished.withLock({ $0.count }) < 4 { try await Task.sleep(for: .milliseconds(20)) }
        let built = builtAtEnd.withLock { $0 } - before
        // However long the watchers took (a loaded machine stretches it), at most ten a
        // second: the most eager watcher asks at 33 Hz, with maxAge 0.1.
        let elapsed = (finished.withLock { $0.max() } ?? Date()).timeIntervalSince(start)
        #expect(built <= Int(elapsed * 10 * 1.25) + 6, "the loop built \(built) deltas in \(elapsed) s for four watchers")
        #expect(built * 2 <= asked.withLock { $0 }, "\(built) deltas built for \(asked.withLock { $0 }) asked")
        #expect(built >= Int(seconds * 5), "the watchers were not served: \(built)")
        #expect(pictures.withLock { $0.count } == 3 && pictures.withLock { $0.allSatisfy { $0.tasks.count >= 2_002 } })
        stop.set()
        try await run.value
        try loop.close()
    }

    /// A watcher that fell behind gets what changed since what it holds, coalesced; one that
    /// holds the latest picture gets no task again.
    @Test func aWatcherBehindGetsTheChangesCoalesced() async throws {
        let (loop, run, stop) = try await busyLoop("behind", tasks: 100)
        // Time enough for a loop slowed by a sanitizer: a picture the loop did not answer
        // for would be the last one again.
        let first = loop.published(maxAge: 0, timeout: 10)
        #expect(first.tasks.count >= 101)
        try await Task.sleep(for: .milliseconds(50))
        _ = loop.published(maxAge: 0, timeout: 10)
        try await Task.sleep(for: .milliseconds(50))
        let (delta, current) = loop.published(after: first, maxAge: 0, timeout: 10)
        #expect(delta.fromVersion == first.version && !delta.isFull)
        #expect(first.applying(delta).tasks == current.tasks)
        #expect(delta.changed.count < 10, "only the ticker and main changed: \(delta.changed.map(\.displayName))")
        let (again, same) = loop.published(after: current, maxAge: 60, timeout: 10)
        #expect(again.changed.isEmpty && again.removed.isEmpty && same.version == current.version)
        stop.set()
        try await run.value
        try loop.close()
    }

    /// A loop stuck in a long step answers no one: each watcher gets the last picture, with
    /// the stuck task in its counters, and the loop builds nothing for them when it returns.
    @Test func aStuckLoopShowsItsStuckTaskAndBuildsNothingLater() async throws {
        let loop = EventLoop(name: "stuck-publisher")
        let release = DispatchSemaphore(value: 0)
        let stuck = Atomic<UInt64>(0)
        let work = Task.detached {
            try await loop.runUntilComplete {
                for _ in 0..<500 { try spawn { try await sleep(3600) } }
                try await sleep(0.01)
                _ = loop.published(maxAge: 0)  // a first picture, on the loop
                stuck.store(currentTaskID() ?? 1, ordering: .releasing)
                release.wait()  // holds the loop thread
                try await sleep(0.05)
            }
        }
        while stuck.load(ordering: .acquiring) == 0 { try await Task.sleep(for: .milliseconds(2)) }
        let before = loop.requestedBuilds.load(ordering: .relaxed)
        var seen: [Snapshot] = []
        for _ in 0..<8 { seen.append(loop.published(maxAge: 0, timeout: 0.05)) }
        release.signal()
        try await work.value
        #expect(loop.requestedBuilds.load(ordering: .relaxed) == before, "requests given up were built anyway")
        #expect(seen.allSatisfy { $0.stats.currentTask == stuck.load(ordering: .relaxed) && $0.stats.currentStepSince != nil })
        #expect(seen.allSatisfy { $0.tasks.count >= 501 })
        try loop.close()
    }
}

final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// The id of the task running now, on a loop.
private func currentTaskID() -> TaskID? { EventLoop.current?.currentTaskID.load(ordering: .relaxed) }

/// A raw client of the monitor: says hello and reads for a while, as `asynctop attach` would.
private struct MonitorConnectionProbe {
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { close(fd); throw CocoaError(.fileNoSuchFile) }
        let hello = Array(#"{"type":"hello","protocol":2}"#.utf8) + [0x0A]
        _ = hello.withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func read(for seconds: Double) {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            if buffer.withUnsafeMutableBytes({ recv(fd, $0.baseAddress!, $0.count, 0) }) <= 0 { break }
        }
        close(fd)
    }
}

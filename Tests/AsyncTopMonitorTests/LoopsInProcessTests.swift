import AsyncTopClient
import AsyncTopModel
import AsyncTopRuntime
import Foundation
import Synchronization
import Testing
import TmuxTestSupport

final class StopFlag: Sendable {
    let value = Atomic<Bool>(false)
}

/// Loops of this process served on one socket, the server's side of it: loops that go
/// away, loops between two runs, a first loop that closes before the others.
///
/// Off the cooperative pool: the reads block for as long as the server takes (a first
/// symbolication of this binary, tens of seconds on a loaded machine), which on the pool
/// held one of its two threads and stalled other tests' detached tasks for as long.
@Suite(.offCooperativePool, .serialized) struct LoopsInProcessTests {
    final class Running: Sendable {
        let loop: EventLoop
        let task: Task<Void, any Error>
        private let stopFlag = StopFlag()

        /// `loop` running `sleepers` named tasks until ``stop()``.
        init(_ name: String, sleepers: Int = 2) async throws {
            let loop = EventLoop(name: name)
            let ready = Atomic<Bool>(false)
            self.loop = loop
            let stopFlag = self.stopFlag
            task = Task.detached {
                try await loop.runUntilComplete {
                    for i in 1...sleepers { try spawn(name: "\(name)-sleeper-\(i)") { try await sleep(3600) } }
                    ready.store(true, ordering: .releasing)
                    while !stopFlag.value.load(ordering: .acquiring) { try await sleep(0.01) }
                }
            }
            while !ready.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(2)) }
        }

        /// Ends the run and cancels the tasks left: a loop with tasks pending is held by them.
        func stop() async throws {
            stopFlag.value.store(true, ordering: .releasing)
            try await task.value
            _ = await loop.cancelAllTasks()
        }
    }

    func socketPath() -> String { NSTemporaryDirectory() + "loops-\(getpid())-\(UUID().uuidString.prefix(6)).sock" }

    func configuration(_ path: String) -> MonitorConfiguration {
        var configuration = MonitorConfiguration.socket(path)
        configuration.everyLoop = false
        return configuration
    }

    /// Reads until `done` says so (or 10 s pass); the loops as the client holds them.
    func read(_ connection: MonitorConnection, until done: (LoopSet, ServerMessage) -> Bool) throws -> LoopSet {
        var loops = LoopSet()
        return try read(connection, into: &loops, until: done)
    }

    func read(_ connection: MonitorConnection, into loops: inout LoopSet, until done: (LoopSet, ServerMessage) -> Bool) throws -> LoopSet {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            guard let message = try connection.next(timeout: 0.2) else { continue }
            switch message {
            case .hello(let hello): loops = LoopSet(hello: hello)
            case .loop(let entry): loops.apply(entry)
            case .delta(let update): loops.apply(update)
            default: break
            }
            if done(loops, message) { break }
        }
        return loops
    }

    /// A loop the program lets go of (never closed) leaves the socket as it goes away: the
    /// server does not keep it.
    @Test func aLoopLetGoOfLeavesTheSocket() async throws {
        let first = try await Running("first")
        let path = socketPath()
        let server = try first.loop.startMonitor(configuration(path))
        defer { server.stop() }
        var second: Running? = try await Running("second")
        server.serve(second!.loop)
        #expect(server.loopNames == ["first", "second"])
        try await second!.stop()
        second = nil  // the last reference: the loop goes, and closes itself
        let deadline = Date().addingTimeInterval(5)
        while server.loopNames.count > 1 && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(server.loopNames == ["first"])
        try await first.stop()
        try first.loop.close()
    }

    /// Loop 0 between two runs, the task on another loop: the cancel and the stacks are the
    /// running loop's answers, not the idle one's "queued" or silence.
    @Test func anIdleLoopDoesNotAnswerForAnother() async throws {
        let idle = EventLoop(name: "idle")
        try await idle.runUntilComplete { try await sleep(0.001) }  // ran once, open, not running
        let busy = try await Running("busy")
        let path = socketPath()
        let server = try idle.startMonitor(configuration(path))
        defer { server.stop() }
        server.serve(busy.loop)
        let connection = try MonitorConnection(path: path, loops: true)
        let loops = try read(connection) { loops, _ in loops.snapshots.count == 2 && loops.awaiting.isEmpty
            && loops.merged.tasks.contains { $0.name == "busy-sleeper-1" } }
        let target = try #require(loops.merged.tasks.first { $0.name == "busy-sleeper-1" })
        let other = try #require(loops.merged.tasks.first { $0.name == "busy-sleeper-2" })
        connection.send(.cancel(id: 1, task: target.id, message: "from the test"))
        connection.send(.stacks(id: 2, tasks: [other.id]))
        var cancelled: ServerMessage?, stacks: [StackReply]?
        // The server answers within 5 s for the walks and 60 s for a first symbolication of
        // this (large) test binary, slow under a sanitizer.
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline, cancelled == nil || stacks == nil {
            switch try connection.next(timeout: 0.2) {
            case .reply(1, let result)?: cancelled = .reply(id: 1, result: result)
            case .error(1, let code, let text)?: cancelled = .error(id: 1, code: code, message: text)
            case .stacks(2, let replies)?: stacks = replies
            case .error(2, let code, let text)?: Issue.record("stacks: \(code): \(text)"); stacks = []
            default: continue
            }
        }
        #expect(cancelled == .reply(id: 1, result: "requested"))
        #expect(stacks?.first?.stack != nil, "\(String(describing: stacks))")
        try await busy.stop()
        try busy.loop.close()
        try idle.close()
    }

    /// Loop 0 closes while another serves on: a client of loop 0 alone is told and let go;
    /// one that reads every loop hears that loop 0 left and keeps the other.
    @Test func whenTheFirstLoopClosesItsOnlyClientsAreToldSo() async throws {
        let first = try await Running("first")
        let second = try await Running("second")
        let path = socketPath()
        let server = try first.loop.startMonitor(configuration(path))
        defer { server.stop() }
        server.serve(second.loop)
        let alone = try MonitorConnection(path: path)
        let every = try MonitorConnection(path: path, loops: true)
        _ = try read(alone) { _, message in if case .delta = message { true } else { false } }
        var held = LoopSet()
        _ = try read(every, into: &held) { loops, _ in loops.snapshots.count == 2 && loops.awaiting.isEmpty }
        try await first.stop()
        try first.loop.close()
        var told: ServerMessage?
        let deadline = Date().addingTimeInterval(10)
        reading: while Date() < deadline {
            do {
                switch try alone.next(timeout: 0.2) {
                case .error(nil, "loop-closed", let text)?:
                    told = .error(id: nil, code: "loop-closed", message: text)
                case .some, nil: continue
                }
            } catch {
                break reading  // closed after telling
            }
        }
        #expect(told != nil)
        let left = try read(every, into: &held) { loops, _ in !loops.holds(0) }
        #expect(left.snapshots.map(\.loopName) == ["second"])
        #expect(server.loopNames == ["second"])
        // A newcomer of loop 0 alone is told at its hello.
        let late = try MonitorConnection(path: path)
        var lateTold = false
        let end = Date().addingTimeInterval(5)
        while Date() < end, !lateTold {
            guard let message = try? late.next(timeout: 0.2) else { break }
            if case .error(nil, "loop-closed", _) = message { lateTold = true }
        }
        #expect(lateTold)
        try await second.stop()
        try second.loop.close()
    }

    /// The loop's own thread asking for a picture while a watcher waits for the loop gets
    /// one at once, instead of waiting for that watcher.
    @Test func theLoopAskingForItsPictureNeverWaitsForAWatcher() async throws {
        let loop = EventLoop(name: "asks")
        let waited = try await loop.runUntilComplete { () -> Double in
            for _ in 0..<100 { try spawn { try await sleep(3600) } }
            try await sleep(0.01)
            // A watcher asks for a fresh picture while this step holds the loop...
            let watcher = Thread { _ = loop.published(maxAge: 0, timeout: 3) }
            watcher.start()
            usleep(200_000)  // holds the loop's thread, as a long step does
            // ...and the step asks for one too.
            let start = Date()
            let picture = loop.published(maxAge: 0)
            #expect(picture.tasks.count >= 100)
            return Date().timeIntervalSince(start)
        }
        #expect(waited < 1, "the loop waited \(waited) s for a watcher that waited for it")
        try loop.close()
    }
}

import AsyncTopModel
import Foundation
import Synchronization
import Testing
@testable import AsyncTopRuntime

/// Threads of this process whose name starts with `prefix` (`/proc/self/task/*/comm`).
func threadCount(named prefix: String) -> Int {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.filter { tid in
        let comm = (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8)) ?? ""
        return comm.hasPrefix(prefix)
    }.count
}

/// Waits (up to `seconds`) until `condition` holds; returns whether it did.
func eventually(within seconds: Double = 20, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

@Suite struct LoopLifecycleTests {
    /// Snapshots and deltas taken from several threads while loops run, stop, run again
    /// and close: each taker gets a whole, consistent picture, and the sanitizers find
    /// nothing (`swift test --sanitize=thread --filter LoopLifecycleTests`).
    @Test(.timeLimit(.minutes(5))) func snapshotsFromManyThreadsWhileLoopsStartStopAndClose() async throws {
        let rounds = 30
        for round in 0..<4 {
            let loop = EventLoop(name: "race-\(round)")
            let stop = Atomic<Bool>(false)
            let taken = Atomic<Int>(0)
            let problems = Mutex<[String]>([])
            let takers = (0..<3).map { index in
                Thread {
                    var version: UInt64 = 0
                    var picture = loop.snapshot()
                    while !stop.load(ordering: .relaxed) {
                        if index == 0 {
                            let snap = loop.snapshot()
                            if snap.tasks.map(\.id) != snap.tasks.map(\.id).sorted() {
                                problems.withLock { $0.append("tasks out of order") }
                            }
                            if snap.stats.lagLast > snap.stats.lagMax {
                                problems.withLock { $0.append("lag \(snap.stats.lagLast) over max \(snap.stats.lagMax)") }
                            }
                        } else {
                            let delta = loop.delta(since: version)
                            picture = picture.applying(delta)
                            version = delta.toVersion
                        }
                        taken.add(1, ordering: .relaxed)
                    }
                    _ = picture
                }
            }
            for thread in takers { thread.start() }
            for _ in 0..<rounds {
                let sum = try await loop.runUntilComplete { () -> Int in
                    let children = try (0..<5).map { n in
                        try spawn(name: "child \(n)") { () async throws -> Int in
                            try await sleep(0.0005)
                            try await Task.sleep(for: .microseconds(200))
                            return n
                        }
                    }
                    var sum = 0
                    for child in children { sum += try await child.value }
                    return sum
                }
                #expect(sum == 10)
            }
            try loop.close()
            // Keep taking snapshots of the closed loop for a moment.
            let closedAt = taken.load(ordering: .relaxed)
            #expect(eventually { taken.load(ordering: .relaxed) > closedAt + 10 })
            stop.store(true, ordering: .relaxed)
            #expect(eventually { takers.allSatisfy { $0.isFinished } })
            #expect(loop.snapshot().stats.phase == "closed")
            #expect(loop.snapshot().tasks.isEmpty)
            #expect(problems.withLock { $0 }.isEmpty, "\(problems.withLock { $0 })")
        }
    }

    /// The last snapshot the loop publishes when a run ends is the run's final state.
    @Test func theSnapshotAfterARunShowsItsEnd() async throws {
        let loop = EventLoop(name: "after-run")
        let id = try await loop.runUntilComplete { try #require(currentTask()).id }
        let snap = loop.snapshot()
        #expect(snap.stats.phase == "stopped")
        #expect(snap.task(id)?.state.isFinished == true)
        try loop.close()
    }

    /// 100 loops run once and dropped without `close()`: each loop's thread ends, and the
    /// default thread pool of those that made one too.
    @Test(.timeLimit(.minutes(5))) func droppedLoopsEndTheirThreads() async throws {
        let prefix = "lkprobe"
        let before = threadCount(named: prefix)
        let totalBefore = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
        let gone = Mutex<[WeakLoop]>([])
        for index in 0..<100 {
            let loop = EventLoop(name: prefix)
            let value = try await loop.runUntilComplete { () -> Int in
                if index % 10 == 0 { return try await toThread { index } }
                try await sleep(0.0001)
                return index
            }
            #expect(value == index)
            gone.withLock { $0.append(WeakLoop(loop)) }
        }
        #expect(eventually { gone.withLock { $0 }.allSatisfy { $0.loop == nil } }, "dropped loops stay alive")
        let ended = eventually { threadCount(named: prefix) <= before + 2 }
        #expect(ended, "\(threadCount(named: prefix) - before) threads named \(prefix)* are left of 100 dropped loops")
        // The whole process too (the tests beside this one start and end threads of their
        // own): not the 110 threads the loops and their pools had.
        let total = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
        #expect(total < totalBefore + 50, "the process has \(total) threads, \(totalBefore) before")
    }

    /// A closed loop's thread ends too.
    @Test func closedLoopsEndTheirThreads() async throws {
        let prefix = "clprobe"
        let before = threadCount(named: prefix)
        var loops: [EventLoop] = []
        for _ in 0..<20 {
            let loop = EventLoop(name: prefix)
            _ = try await loop.runUntilComplete { 1 }
            try loop.close()
            loops.append(loop)
        }
        #expect(eventually { threadCount(named: prefix) <= before })
        #expect(loops.allSatisfy { $0.isClosed })
    }
}

final class WeakLoop: @unchecked Sendable {
    weak var loop: EventLoop?
    init(_ loop: EventLoop) { self.loop = loop }
}

/// A handle kept after `EventLoop.run` returned: its loop is closed and gone.
@Suite struct TaskHandleAfterTheLoopTests {
    struct Boom: Error {}

    @Test func everyMethodIsSafeOnceTheLoopIsGone() async throws {
        let (ok, failed, weakLoop) = try await EventLoop.run(name: "gone", reportLeftovers: { _ in }) {
            let ok = try spawn(name: "ok") { 42 }
            let failed = try spawn(name: "failed") { () throws -> Int in throw Boom() }
            _ = try await ok.value
            _ = try? await failed.value
            return (ok, failed, WeakLoop(EventLoop.current!))
        }
        #expect(eventually { weakLoop.loop == nil }, "the loop outlived its run")

        #expect(ok.done && failed.done)
        #expect(try ok.result() == 42)
        #expect(try await ok.value == 42)
        #expect(try ok.exception() == nil)
        #expect(throws: Boom.self) { try failed.result() }
        await #expect(throws: Boom.self) { try await failed.value }
        #expect(try failed.exception() is Boom)
        #expect(ok.name == "ok" && ok.id != 0)
        #expect(ok.cancel() == false)
        #expect(failed.cancel(message: "late") == false)
        #expect(!ok.cancelled && !failed.cancelled)

        // Done callbacks of a finished task run at once, on the caller's thread.
        let calls = Mutex<[String]>([])
        let thread = currentThreadName()
        ok.addDoneCallback { handle in
            calls.withLock { $0.append("ok \(String(describing: try? handle.result())) \(currentThreadName() == thread)") }
        }
        failed.addDoneCallback { _ in calls.withLock { $0.append("failed") } }
        #expect(calls.withLock { $0 } == ["ok Optional(42) true", "failed"])
    }

    /// A task that had not finished when its loop closed never will.
    @Test func aTaskLeftUnfinishedByAClosedLoop() async throws {
        let stuck = try await EventLoop.run(name: "closed", reportLeftovers: { _ in }) {
            // Waits on something no one resumes, deaf to the cancellation of the closing loop.
            try spawn(name: "stuck") { () async -> Int in
                await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }
                return 0
            }
        }
        #expect(!stuck.done && !stuck.cancelled)
        #expect(stuck.cancel(message: "late") == false)
        let calls = Mutex(0)
        stuck.addDoneCallback { _ in calls.withLock { $0 += 1 } }
        await #expect(throws: LoopError.closed) { try await stuck.value }
        #expect(throws: LoopError.self) { try stuck.result() }
        #expect(throws: LoopError.self) { try stuck.exception() }
        #expect(calls.withLock { $0 } == 0)
    }

    @Test func aTaskAwaitedWhenItsLoopClosesGetsAnError() async throws {
        let loop = EventLoop(name: "closing")
        let stuck = try await loop.runUntilComplete {
            try spawn(name: "stuck") { () async -> Int in
                try? await sleep(3600)
                return 0
            }
        }
        let waiter = Task { try await stuck.value }
        try await Task.sleep(for: .milliseconds(20))
        try loop.close()
        await #expect(throws: LoopError.closed) { try await waiter.value }
    }
}

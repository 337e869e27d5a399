import AsyncTopModel
import Foundation
import Synchronization
import Testing
@testable import AsyncTopRuntime

/// `Task.sleep` on a loop: the runtime wakes the sleeper with a job of its own, which is
/// no task of the user's and must never show as one.
@Suite struct TaskSleepTests {
    /// README.md's "Use it in your own program" example, as written there.
    @Test func theReadmeSleepExampleLeavesNothingPending() async throws {
        let reported = Mutex<[TaskInfo]?>(nil)
        let value = try await EventLoop.run(reportLeftovers: { tasks in reported.withLock { $0 = tasks } }) {
            try await Task.sleep(for: .milliseconds(50))
            return 1
        }
        #expect(value == 1)
        let leftovers = reported.withLock { $0 }
        #expect(leftovers == nil, "reported as left pending: \(leftovers?.map { "\($0.id) \($0.displayName) \($0.state)" } ?? [])")
    }

    @Test func aSleepingTaskShowsItsSleepAndNoWakeTaskAppears() async throws {
        try await onLoop {
            let loop = EventLoop.current!
            let me = try #require(currentTask()).id
            let sleeper = try spawn(name: "sleeper") { () async throws -> Int in
                try await Task.sleep(for: .milliseconds(50))
                return 7
            }
            try await sleep(0.01)
            let during = loop.snapshot()
            let info = try #require(during.task(sleeper.id))
            guard case .suspended(.sleep(let until)) = info.state else {
                Issue.record("a Task.sleep should show as a sleep, got \(info.state)")
                return
            }
            #expect(until > during.takenAt, "the sleep ends in the future")
            #expect(info.state.description.contains("sleep"), "\(info.state)")
            #expect(try await sleeper.value == 7)
            for _ in 0..<5 {
                try await Task.sleep(for: .milliseconds(2))
            }
            let after = loop.snapshot()
            let strangers = after.tasks.filter { $0.id != me && $0.id != sleeper.id }
            #expect(strangers.isEmpty, "tasks nobody made: \(strangers.map { "\($0.id) \($0.displayName) \($0.state)" })")
            #expect(after.task(sleeper.id)?.state == .done(result: "7"))
            #expect(after.stats.count(.pending) + after.stats.count(.suspended) == 0 || after.tasks.allSatisfy { $0.id == me || $0.state.isFinished })
        }
    }

    @Test func cancellingATaskSleepLeavesNoWakeTaskBehind() async throws {
        let reported = Mutex<[TaskInfo]?>(nil)
        try await EventLoop.run(reportLeftovers: { tasks in reported.withLock { $0 = tasks } }) {
            let sleeper = try spawn(name: "long") { try await Task.sleep(for: .seconds(30)) }
            try await sleep(0.01)
            sleeper.cancel()
            await #expect(throws: CancellationError.self) { try await sleeper.value }
            let loop = EventLoop.current!
            let names = loop.snapshot().tasks.map(\.displayName)
            #expect(names.sorted() == ["long", "main"])
        }
        #expect(reported.withLock { $0 } == nil)
    }
}

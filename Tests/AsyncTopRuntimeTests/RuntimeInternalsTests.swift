import AsyncTopModel
import Foundation
import Testing
@testable import AsyncTopRuntime

/// Checks the runtime internals asynctop depends on. If one of these fails after a
/// toolchain update, `RuntimeInternals.swift` needs new offsets or functions.
@Suite struct RuntimeInternalsTests {
    final class Probe: TaskExecutor, @unchecked Sendable {
        var seen: [(id: UInt64, described: String, isTask: Bool)] = []
        var completeAfterRun: [UInt64: Bool] = [:]
        func enqueue(_ job: consuming ExecutorJob) {
            let described = job.description
            let unowned = UnownedJob(job)
            seen.append((RuntimeInternals.taskID(of: unowned), described, RuntimeInternals.isTask(unowned)))
            let isTask = RuntimeInternals.isTask(unowned)
            if isTask { RuntimeInternals.retain(task: unowned) }
            unowned.runSynchronously(on: asUnownedTaskExecutor())
            if isTask {
                completeAfterRun[RuntimeInternals.taskID(of: unowned)] =
                    RuntimeInternals.statusFlags(ofTask: unowned) & RuntimeInternals.isCompleteBit != 0
                RuntimeInternals.release(task: unowned)
            }
        }
    }

    @Test func taskIDsMatchTheRuntimesDescriptionAndCompletionIsVisible() async throws {
        let probe = Probe()
        let task = Task(executorPreference: probe) { () -> Int in
            await withTaskGroup(of: Int.self) { group in
                group.addTask { 1 }
                group.addTask { 2 }
                return await group.reduce(0, +)
            }
        }
        #expect(await task.value == 3)
        let tasks = probe.seen.filter(\.isTask)
        #expect(!tasks.isEmpty, "no task job reached the executor")
        for job in tasks {
            #expect(job.id != 0)
            #expect(job.described.contains("\(job.id)"),
                    "swift_task_getJobTaskId gave \(job.id) but the job describes itself as \(job.described)")
        }
        #expect(probe.completeAfterRun.values.filter { $0 }.count == 3,
                "expected the IsComplete bit at offset \(RuntimeInternals.taskStatusFlagsOffset) for the 3 tasks: \(probe.completeAfterRun)")
    }
}

/// The check the first instrumented loop of a process makes: each internal it reads,
/// on real tasks, and what a loop does when one does not hold.
@Suite struct InternalsCheckTests {
    typealias Seen = InternalsProbe.Seen

    func observed() throws -> RuntimeInternals.Observation {
        try #require(RuntimeInternals.observe(), "the check's tasks did not finish")
    }

    @Test func everyInternalHoldsOnThisToolchain() throws {
        let result = RuntimeInternals.verdict(try observed())
        #expect(result.failures.isEmpty, "\(result.failures)")
        #expect(result.taskIDs && result.jobKind && result.jobFlags && result.taskStatus && result.spawnSlot)
        #expect(result.warning == nil)
        #expect(RuntimeInternals.checked.failures.isEmpty)
    }

    @Test func taskIDsAreTheOnesJobsDescribeAndStayPerTask() throws {
        let seen = try observed()
        let tasks = seen.jobs.filter(\.isTaskBySPI)
        #expect(Set(tasks.map(\.id)).count == 4, "a plain task, its async let and group children, a cancelled task")
        for job in tasks {
            #expect(job.id != 0 && job.described.contains("\(job.id)"), "\(job.id) vs \(job.described)")
        }
        var broken = seen
        broken.jobs = seen.jobs.map { var job = $0; if job.isTaskBySPI { job.id = 0 }; return job }
        #expect(!RuntimeInternals.verdict(broken).taskIDs)
    }

    @Test func theKindByteTellsTasksFromOtherJobs() throws {
        let seen = try observed()
        #expect(seen.jobs.allSatisfy { $0.isTaskByKindByte == $0.isTaskBySPI })
        var broken = seen
        broken.jobs[0].isTaskByKindByte.toggle()
        let verdict = RuntimeInternals.verdict(broken)
        #expect(!verdict.jobKind && !verdict.canInstrument)
    }

    @Test func asyncLetAndGroupChildBits() throws {
        let seen = try observed()
        let tasks = seen.jobs.filter(\.isTaskBySPI)
        let asyncLets = Set(tasks.filter { $0.flags & RuntimeInternals.asyncLetBit != 0 }.map(\.id))
        let children = Set(tasks.filter { $0.flags & RuntimeInternals.groupChildBit != 0 }.map(\.id))
        #expect(asyncLets.count == 1 && children.count == 1 && asyncLets != children)
        #expect(!asyncLets.contains(seen.plain!) && !children.contains(seen.cancelled!))
        var broken = seen
        broken.jobs = seen.jobs.map { var job = $0; job.flags |= RuntimeInternals.asyncLetBit; return job }
        let verdict = RuntimeInternals.verdict(broken)
        #expect(!verdict.jobFlags && verdict.canInstrument)
        #expect(verdict.warning?.contains("async let") == true)
    }

    @Test func isCompleteAtTheStatusOffsetAfterTheLastStepOnly() throws {
        let seen = try observed()
        for id in Set(seen.jobs.filter(\.isTaskBySPI).map(\.id)) {
            let steps = seen.jobs.filter { $0.isTaskBySPI && $0.id == id }
            #expect(steps.last!.statusAfter & RuntimeInternals.isCompleteBit != 0, "task \(id) not complete after its last step")
            #expect(steps.dropLast().allSatisfy { $0.statusAfter & RuntimeInternals.isCompleteBit == 0 })
            #expect(steps.allSatisfy { $0.statusBefore & RuntimeInternals.isCompleteBit == 0 })
        }
        var broken = seen
        broken.jobs = seen.jobs.map { var job = $0; job.statusAfter &= ~RuntimeInternals.isCompleteBit; return job }
        let verdict = RuntimeInternals.verdict(broken)
        #expect(!verdict.taskStatus && verdict.canInstrument)
        #expect(verdict.warning?.contains("ends are not seen") == true)
    }

    @Test func isCancelledOnTheCancelledTaskOnly() throws {
        let seen = try observed()
        let tasks = seen.jobs.filter(\.isTaskBySPI)
        let cancelledSeen = Set(tasks.filter { $0.statusAfter & RuntimeInternals.isCancelledBit != 0 }.map(\.id))
        #expect(cancelledSeen == [seen.cancelled!])
        var broken = seen
        broken.jobs = seen.jobs.map { var job = $0; job.statusAfter |= RuntimeInternals.isCancelledBit; return job }
        #expect(!RuntimeInternals.verdict(broken).taskStatus)
    }

    @Test func aNewTasksFirstJobComesWhileTaskInitRuns() throws {
        let seen = try observed()
        #expect(seen.plain != nil && seen.cancelled != nil && seen.plain != seen.cancelled)
        var broken = seen
        broken.plain = nil
        let verdict = RuntimeInternals.verdict(broken)
        #expect(!verdict.spawnSlot && !verdict.canInstrument)
        #expect(verdict.warning?.contains("uninstrumented") == true)
    }

    @Test func aLoopWithoutTheStatusWordSaysSoAndStillRuns() async throws {
        var check = InternalsCheck()
        check.taskStatus = false
        check.failures = ["IsComplete bit at offset 96"]
        let loop = EventLoop(name: "no-status", debug: false, instrumented: true, retention: RetentionPolicy(), internals: check)
        let value = try await loop.runUntilComplete { () -> Int in
            await withTaskGroup(of: Int.self) { group in
                group.addTask { 1 }
                return await group.reduce(0, +)
            }
        }
        #expect(value == 1)
        let stats = loop.snapshot().stats
        #expect(stats.instrumented)
        #expect(stats.instrumentationWarning?.contains("IsComplete") == true)
        try loop.close()
    }

    @Test func aLoopThatCannotFollowTasksRunsUninstrumented() async throws {
        var check = InternalsCheck()
        check.spawnSlot = false
        check.failures = ["spawn slot"]
        let loop = EventLoop(name: "blind", debug: false, instrumented: true, retention: RetentionPolicy(), internals: check)
        let value = try await loop.runUntilComplete { () -> Int in
            let child = try spawn(name: "child") { 2 }
            return try await child.value + 1
        }
        #expect(value == 3)
        let snapshot = loop.snapshot()
        #expect(!snapshot.stats.instrumented && snapshot.tasks.isEmpty)
        #expect(snapshot.stats.instrumentationWarning?.contains("uninstrumented") == true)
        try loop.close()
    }

    @Test func recordingsWithoutTheNewFieldsStillDecode() throws {
        let stats = LoopStats(instrumentationWarning: "x")
        let encoded = try JSONEncoder().encode(stats)
        var object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(try JSONDecoder().decode(LoopStats.self, from: encoded).instrumentationWarning == "x")
        object.removeValue(forKey: "instrumentationWarning")
        let old = try JSONSerialization.data(withJSONObject: object)
        #expect(try JSONDecoder().decode(LoopStats.self, from: old).instrumentationWarning == nil)

        let task = TaskInfo(id: 1, name: "t", historyDropped: 3, historyDroppedAfter: 8)
        var taskObject = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(task)) as? [String: Any])
        taskObject.removeValue(forKey: "historyDroppedAfter")
        let oldTask = try JSONDecoder().decode(TaskInfo.self, from: try JSONSerialization.data(withJSONObject: taskObject))
        #expect(oldTask.historyDroppedAfter == nil && oldTask.historyDropped == 3)
    }
}

import AsyncTopModel
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

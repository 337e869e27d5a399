import AsyncTopModel
import Foundation
import Synchronization
import Testing
@testable import AsyncTopRuntime

// Functions with known nesting and the lines of their awaits (never hard-coded: each
// constant is the line below it plus what it says).

let level3Line = #line + 2
func stackLevel3(_ lock: Lock) async throws {
    try await lock.acquire()
    try lock.release()
}

let level2Line = #line + 2
func stackLevel2(_ lock: Lock) async throws {
    try await stackLevel3(lock)
}

let level1Line = #line + 2
func stackLevel1(_ lock: Lock) async throws {
    try await stackLevel2(lock)
}

let sleeperLine = #line + 2
func stackSleeper() async throws {
    try await sleep(30)
}

let queueWaiterLine = #line + 2
func stackQueueWaiter(_ queue: Queue<Int>) async throws -> Int {
    try await queue.get()
}

let childWaiterLine = #line + 3
func stackChildWaiter() async throws {
    let child = try spawn(name: "stack-child") { try await sleep(30) }
    try await child.value
}

let groupWaiterLine = #line + 4
func stackGroupWaiter() async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await sleep(30) }
        try await group.waitForAll()
    }
}

let asyncLetWaiterLine = #line + 3
func stackAsyncLetWaiter() async throws {
    async let slept: Void = sleep(30)
    try await slept
}

/// Async stacks of suspended tasks, captured on the loop and symbolicated off it.
@Suite struct TaskStackTests {
    /// The program's own frames of a task's stack, or a recorded issue.
    func ownFrames(_ answer: StackAnswer?, _ comment: Comment) -> [StackFrame] {
        guard case .stack(let stack)? = answer else {
            Issue.record("no stack: \(String(describing: answer)) — \(comment)")
            return []
        }
        return stack.frames(all: false)
    }

    func describe(_ frames: [StackFrame]) -> String { frames.map(\.description).joined(separator: " ← ") }

    @Test func theRuntimeDescribesTheLayoutTheWalkReads() {
        let guards = RuntimeInternals.layoutGuards
        #expect(guards.problem == nil, "\(guards)")
        let task = Task { try? await Task.sleep(for: .seconds(30)) }
        defer { task.cancel() }
        let isa = unsafeBitCast(task, to: UnsafeRawPointer.self).load(as: UInt.self)
        #expect(guards.taskMetadata == isa, "a task's isa is the runtime's task metadata")
    }

    @Test func aTaskThreeLevelsDownNamesThemInnermostFirstWithTheLinesOfTheirAwaits() async throws {
        try await onLoop {
            let lock = Lock(name: "first")
            try await lock.acquire()
            let parked = try spawn(name: "parked") { try await stackLevel1(lock) }
            try await settle()
            let answers = await EventLoop.current!.stacks(of: [parked.id])
            let frames = ownFrames(answers[parked.id], "parked on a lock")
            let wanted = [("stackLevel3", level3Line), ("stackLevel2", level2Line), ("stackLevel1", level1Line)]
            let named = frames.filter { frame in wanted.contains { frame.function.hasPrefix($0.0) } }
            #expect(named.map { String($0.function.prefix(11)) } == wanted.map(\.0), "\(describe(frames))")
            #expect(named.map(\.line) == wanted.map(\.1), "\(describe(frames))")
            #expect(frames.first?.function.hasPrefix("stackLevel3") == true, "innermost first: \(describe(frames))")
            #expect(named.allSatisfy { $0.file?.hasSuffix("TaskStackTests.swift") == true })
            // The lock's own frame is the runtime's only if it is library code: it is ours here.
            if case .stack(let stack)? = answers[parked.id] {
                #expect(stack.frames.contains { $0.isRuntime }, "runtime frames are kept, marked")
                // Filed on the task: snapshots carry it while the suspension lasts.
                #expect(info(parked.id)?.stack == stack)
            }
            try lock.release()
            try await parked.value
            #expect(info(parked.id)?.stack == nil, "a finished task has no stack")
        }
    }

    @Test func eachKindOfWaitShowsTheFunctionThatWaitsAtItsAwait() async throws {
        try await onLoop {
            let queue = Queue<Int>()
            let tasks: [(String, Int, TaskHandle<Void>)] = [
                ("stackSleeper", sleeperLine, try spawn(name: "sleeper") { try await stackSleeper() }),
                ("stackQueueWaiter", queueWaiterLine, try spawn(name: "queue") { _ = try await stackQueueWaiter(queue) }),
                ("stackChildWaiter", childWaiterLine, try spawn(name: "child") { try await stackChildWaiter() }),
                ("stackGroupWaiter", groupWaiterLine, try spawn(name: "group") { try await stackGroupWaiter() }),
                ("stackAsyncLetWaiter", asyncLetWaiterLine, try spawn(name: "async-let") { try await stackAsyncLetWaiter() }),
            ]
            try await settle(5)
            let answers = await EventLoop.current!.stacks(of: tasks.map(\.2.id))
            for (function, line, task) in tasks {
                let frames = ownFrames(answers[task.id], "\(function)")
                // The innermost frame of the function (a group's body is `closure #1 in` it).
                let frame = frames.first { $0.function.contains(function) }
                #expect(frame?.line == line, "\(function): \(describe(frames))")
            }
            for (_, _, task) in tasks { task.cancel() }
            for (_, _, task) in tasks { _ = try? await task.value }
        }
    }

    @Test func tasksWithoutAStackSayWhy() async throws {
        try await onLoop {
            let done = try spawn(name: "done") { 1 }
            _ = try await done.value
            let me = try #require(currentTask()?.id)
            let answers = await EventLoop.current!.stacks(of: [done.id, me, 999_999_999])
            #expect(answers[done.id] == .unavailable("finished"))
            #expect(answers[me] == .unavailable("running"))
            #expect(answers[999_999_999] == .unavailable("no such task"))
        }
    }

    @Test func everySuspendedTaskOnceAndAStackGoesStaleWhenTheTaskRuns() async throws {
        try await onLoop {
            let queue = Queue<Int>()
            let waiters = try (0..<3).map { i in try spawn(name: "waiter-\(i)") { _ = try await stackQueueWaiter(queue) } }
            try await settle()
            let loop = EventLoop.current!
            let all = await loop.stacks()
            for waiter in waiters { #expect(all[waiter.id] != nil, "every suspended task") }
            // Already current: asked again, the same stacks, not walked anew.
            let again = await loop.stacks()
            for waiter in waiters { #expect(again[waiter.id] == all[waiter.id]) }
            // The first waiter runs (gets an item, then waits again): its stack is gone until asked.
            try queue.putNowait(1)
            try await settle()
            #expect(info(waiters[0].id)?.state.kind == .done || info(waiters[0].id)?.stack == nil)
            #expect(info(waiters[1].id)?.stack != nil)
            for waiter in waiters { waiter.cancel() }
        }
    }

    @Test func aTaskThatWaitsOnAnotherExecutorIsReadSafely() async throws {
        try await onLoop {
            let gate = StackGate()
            let away = try spawn(name: "away") {
                await withTaskExecutorPreference(globalConcurrentExecutor) {
                    await gate.wait()
                }
            }
            try await settle()
            let answers = await EventLoop.current!.stacks(of: [away.id])
            // Either a stack read with fault-proof reads, or a clear word: never a crash.
            switch answers[away.id] {
            case .stack(let stack)?: #expect(!stack.frames.isEmpty)
            case .unavailable(let why)?: #expect(!why.isEmpty)
            case nil: Issue.record("no answer")
            }
            gate.open()
            try await away.value
        }
    }

    /// Many threads ask for stacks while tasks come, suspend, resume and end.
    @Test func stacksAskedFromManyThreadsWhileTasksChurn() async throws {
        try await onLoop {
            let loop = EventLoop.current!
            let stop = StackGate()
            let answered = Mutex<Int>(0)
            let finished = DispatchSemaphore(value: 0)
            for _ in 0..<4 {
                Thread.detachNewThread {
                    while !stop.isOpen {
                        let done = DispatchSemaphore(value: 0)
                        loop.captureStacks { answers in
                            for case .stack(let stack) in answers.values where stack.frames.isEmpty {
                                Issue.record("an empty stack")
                            }
                            done.signal()
                        }
                        done.wait()
                        answered.withLock { $0 += 1 }
                    }
                    finished.signal()
                }
            }
            for round in 0..<200 {
                let tasks = try (0..<20).map { i in
                    try spawn { try await sleep(Double((i + round) % 3) * 0.001) }
                }
                _ = try await gather(tasks)
            }
            stop.open()
            // The askers' last requests are answered by this loop: let it run while they end.
            for _ in 0..<4 {
                while finished.wait(timeout: .now()) != .success { try await sleep(0.001) }
            }
            #expect(answered.withLock { $0 } >= 4)
        }
    }
}

/// A one-shot gate that threads and tasks can wait on.
final class StackGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var opened = false
    var isOpen: Bool { condition.withLock { opened } }
    func open() { condition.withLock { opened = true; condition.broadcast() } }
    /// Waits from a task, parking it on a continuation a thread resumes.
    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                self.condition.withLock { while !self.opened { self.condition.wait() } }
                continuation.resume()
            }
        }
    }
}

import AsyncTopModel
import Dispatch
import Foundation
import Synchronization
import Runtime
import Testing
import TmuxTestSupport
@testable import AsyncTopRuntime

/// Where a test task parks: its continuation, kept until the test resumes it, and the
/// lines of the awaits on its way there (outermost first).
private final class Parking: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Void, Never>?, lines: [Int])>((nil, []))

    func park(_ continuation: CheckedContinuation<Void, Never>, lines: [Int]) {
        state.withLock { $0 = (continuation, lines) }
    }

    /// The await lines once the continuation is stored.
    var lines: [Int]? { state.withLock { $0.continuation == nil ? nil : $0.lines } }

    func resume() { state.withLock { $0.continuation?.resume(); $0.continuation = nil } }
}

/// A value the test's threads and tasks share.
private final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func get() -> Value { value.withLock { $0 } }
    func set(_ new: Value) { value.withLock { $0 = new } }
    func update(_ body: (inout Value) -> Void) { value.withLock { body(&$0) } }
}

// Plain functions, each awaiting the next; every await passes its own line down.
private func symbolicatorLevel1(_ parking: Parking, _ lines: [Int]) async {
    await symbolicatorLevel2(parking, lines + [#line])
}

private func symbolicatorLevel2(_ parking: Parking, _ lines: [Int]) async {
    await symbolicatorLevel3(parking, lines + [#line])
}

private func symbolicatorLevel3(_ parking: Parking, _ lines: [Int]) async {
    await withCheckedContinuation { parking.park($0, lines: lines + [#line]) }
}

private func symbolicatorSleeper(_ line: Shared<Int?>) async {
    line.set(#line + 1)
    try? await Task.sleep(for: .seconds(600))
}

/// The tests wait synchronously for their tasks on the global executor: off its threads.
@Suite(.offCooperativePool) struct StackSymbolicatorTests {
    /// Where the parked tasks run: a thread nothing else uses.
    static let parkingExecutor = BlockingTestExecutor(threads: 1)

    /// Waits (up to 30 s: the whole suite at once on two cores) until `task` is suspended,
    /// and returns its resume addresses.
    private func capture<T>(_ task: Task<T, Never>) throws -> [UInt] {
        let pointer = unsafeBitCast(task, to: UnsafeRawPointer.self)
        var code = CodeRanges()
        let deadline = Date().addingTimeInterval(30)
        var last = RuntimeInternals.StackCapture.unavailable("not tried")
        while Date() < deadline {
            last = RuntimeInternals.captureStack(ofTask: pointer, safeReads: true, code: &code)
            if case .addresses(let addresses, cut: false) = last { return addresses }
            usleep(1000)
        }
        Issue.record("no stack captured: \(last)")
        throw CancellationError()
    }

    /// A task parked in level3 ← level2 ← level1, its await lines and its stack's addresses.
    private func parkedTask() throws -> (task: Task<Void, Never>, parking: Parking, lines: [Int], addresses: [UInt]) {
        let parking = Parking()
        // On a thread of its own: a plain `Task` would inherit the suite's preference for the
        // blocking tests' two threads, which other blocking tests may hold for minutes, and the
        // global executor's may be held as long by tests that block the cooperative pool.
        let task = Task(executorPreference: Self.parkingExecutor) { await symbolicatorLevel1(parking, [#line]) }
        let deadline = Date().addingTimeInterval(10)
        while parking.lines == nil && Date() < deadline { usleep(1000) }
        guard let lines = parking.lines else {
            Issue.record("the task did not park")
            throw CancellationError()
        }
        return (task, parking, lines, try capture(task))
    }

    private func describe(_ frames: [StackFrame]) -> String {
        frames.map { "\($0.isRuntime ? "(rt) " : "")\($0.inlined == true ? "(inl) " : "")\($0.description)" }
            .joined(separator: "\n")
    }

    @Test func aParkedTaskShowsItsThreeLevelsAndTheTaskClosureWithTheAwaitLines() throws {
        let (task, parking, lines, addresses) = try parkedTask()
        defer { parking.resume() }
        let answer = StackSymbolicator.shared.symbolicate([addresses])
        #expect(answer.count == 1)
        let frames = answer[0].frames
        print("parked in level3, \(addresses.count) addresses:\n\(describe(frames))")
        #expect(answer[0].problem == nil)
        let own = frames.filter { !$0.isRuntime }
        try #require(own.count == 4, "expected level3, level2, level1 and the task closure:\n\(describe(frames))")
        let innermostFirst = Array(lines.reversed())  // level3's await, level2's, level1's, the closure's
        for (index, name) in ["symbolicatorLevel3", "symbolicatorLevel2", "symbolicatorLevel1", "closure #1 in"].enumerated() {
            #expect(own[index].function.contains(name), "frame \(index): \(own[index].function), not \(name)")
            #expect(own[index].line == innermostFirst[index], "\(own[index].description): expected line \(innermostFirst[index])")
            #expect(own[index].file?.hasSuffix("StackSymbolicatorTests.swift") == true)
            #expect(own[index].column != nil)
        }
        // The chain ends in the runtime's start of the task. (It starts in
        // `withCheckedContinuation` unless that was inlined, as in release builds.)
        #expect(frames.last?.isRuntime == true)
        _ = task
    }

    @Test func aSleepingTaskShowsTheFunctionThatSleepsWithItsLine() throws {
        let line = Shared<Int?>(nil)
        let task = Task(executorPreference: Self.parkingExecutor) { await symbolicatorSleeper(line) }
        defer { task.cancel() }
        let deadline = Date().addingTimeInterval(10)
        while line.get() == nil && Date() < deadline { usleep(1000) }
        let addresses = try capture(task)
        let answer = StackSymbolicator.shared.symbolicate([addresses])[0]
        print("sleeping:\n\(describe(answer.frames))")
        let first = try #require(answer.frames.first { !$0.isRuntime })
        #expect(first.function.contains("symbolicatorSleeper"))
        #expect(first.line != nil && first.line == line.get())
        #expect(answer.frames.first?.isRuntime == true, "the sleep itself is the runtime's")
    }

    @Test func warmLookupsHitTheCacheAndGiveTheSameFrames() throws {
        let (_, parking, _, addresses) = try parkedTask()
        defer { parking.resume() }
        // A symbolicator of its own: its thread's caches start cold.
        let symbolicator = StackSymbolicator()
        var start = DispatchTime.now().uptimeNanoseconds
        let cold = symbolicator.symbolicate([addresses])
        let coldNanos = DispatchTime.now().uptimeNanoseconds - start
        start = DispatchTime.now().uptimeNanoseconds
        let warm = symbolicator.symbolicate([addresses])
        let warmNanos = DispatchTime.now().uptimeNanoseconds - start
        #expect(cold[0].frames == warm[0].frames)
        #expect(cold[0].problem == warm[0].problem)
        #expect(cold[0].frames == StackSymbolicator.shared.symbolicate([addresses])[0].frames)
        // Many stacks in one request: the cost of a cache hit per address, without the handoff.
        let rounds = 2000
        start = DispatchTime.now().uptimeNanoseconds
        let many = symbolicator.symbolicate(Array(repeating: addresses, count: rounds))
        let manyNanos = DispatchTime.now().uptimeNanoseconds - start
        #expect(many.allSatisfy { $0.frames == cold[0].frames })
        print(String(format: "symbolicator: cold stack %.1f ms, warm stack %.1f µs (one call), %.3f µs a warm stack in a batch, %.1f ns a cache hit per address (%d addresses)",
                     Double(coldNanos) / 1e6, Double(warmNanos) / 1e3, Double(manyNanos) / 1e3 / Double(rounds),
                     Double(manyNanos) / Double(rounds * addresses.count), addresses.count))
    }

    @Test func anAddressThatIsNotCodeGivesAPlaceholderAndAProblem() throws {
        let (_, parking, _, addresses) = try parkedTask()
        defer { parking.resume() }
        let answer = StackSymbolicator.shared.symbolicate([[0x10], addresses, [0x10] + addresses])
        #expect(answer[0].frames == [StackFrame(function: "0x10")])
        #expect(answer[0].problem?.contains("0x10 is not in any loaded image") == true, "\(answer[0].problem ?? "no problem")")
        #expect(answer[1].problem == nil)
        #expect(answer[2].frames == answer[0].frames + answer[1].frames)
        #expect(answer[2].problem == answer[0].problem)
    }

    @Test func eightThreadsAtOnceAllGetTheRightFrames() throws {
        let (_, parking, _, addresses) = try parkedTask()
        defer { parking.resume() }
        let expected = StackSymbolicator.shared.symbolicate([addresses])[0].frames
        let threads = 8, calls = 200
        let wrong = Shared(0), done = DispatchGroup()
        for thread in 0..<threads {
            done.enter()
            Thread {
                for call in 0..<calls {
                    // Half the calls wait; the other half ask for a completion and wait for it.
                    let answer: [(frames: [StackFrame], problem: String?)]
                    if (thread + call) % 2 == 0 {
                        answer = StackSymbolicator.shared.symbolicate([addresses, [0x10]])
                    } else {
                        let got = DispatchSemaphore(value: 0)
                        let box = Shared<[(frames: [StackFrame], problem: String?)]>([])
                        StackSymbolicator.shared.symbolicate([addresses, [0x10]]) { result in
                            box.set(result)
                            got.signal()
                        }
                        got.wait()
                        answer = box.get()
                    }
                    if answer.count != 2 || answer[0].frames != expected || answer[1].frames != [StackFrame(function: "0x10")] {
                        wrong.update { $0 += 1 }
                    }
                }
                done.leave()
            }.start()
        }
        #expect(done.wait(timeout: .now() + 120) == .success)
        #expect(wrong.get() == 0)
    }

    /// Whether an image has line information, which decides "no debug information".
    @Test func sectionNamesTellAnImageWithLineInformationFromOneWithout() throws {
        // Not `ImageMap.capture()`: it reads every mapped ELF header through memory, and the
        // symbolicator's thread (other tests) maps and unmaps the files it reads meanwhile.
        let program = try #require(Bundle.main.executablePath)
        #expect(StackSymbolicator.sectionNames(ofELF: program).contains(".debug_line"))
        // The toolchain's runtime libraries ship without DWARF.
        // Read to its end (a /proc file says it is empty: a single read may stop short).
        let maps = String(decoding: try #require(FileHandle(forReadingAtPath: "/proc/self/maps")).readDataToEndOfFile(), as: UTF8.self)
        let concurrency = try #require(maps.split(separator: "\n").lazy.compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init)
        }.first { $0.hasSuffix("/libswift_Concurrency.so") }, "\(maps.split(separator: "\n").count) mappings")
        let sections = StackSymbolicator.sectionNames(ofELF: concurrency)
        #expect(sections.contains(".text") && !sections.contains(".debug_line"), "\(sections)")
        #expect(StackSymbolicator.sectionNames(ofELF: #filePath).isEmpty)
        #expect(StackSymbolicator.sectionNames(ofELF: "/nonexistent").isEmpty)
    }
}

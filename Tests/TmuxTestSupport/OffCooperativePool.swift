import Foundation
import Testing

/// Runs a test (or every test of a suite) on threads of its own instead of Swift's
/// cooperative pool.
///
/// Tests of real programs wait synchronously (a program's exit, a terminal's screen) for
/// seconds. On the cooperative pool, which has one thread per core, a few such tests at
/// once hold every thread, and the other tests' tasks on the global executor stop for as
/// long: a cancel from a detached task, a stress test's other side. With this trait the
/// test's body prefers ``BlockingTestExecutor``, so its synchronous code and the steps
/// after each `await` run on that executor's own threads.
public struct OffCooperativePool: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        try await withTaskExecutorPreference(BlockingTestExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OffCooperativePool {
    /// See ``OffCooperativePool``.
    public static var offCooperativePool: Self { OffCooperativePool() }
}

/// A task executor of two threads of its own, for test code that blocks: as many as the
/// cooperative pool has on this project's 2-core machines, so tests of real programs run
/// no more at once than before, but never hold the threads other tests' tasks need.
public final class BlockingTestExecutor: TaskExecutor, @unchecked Sendable {
    public static let shared = BlockingTestExecutor(threads: 2)

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    public init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [self] in work() }
            thread.name = "blocking-tests-\(index)"
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

import AsyncTopModel
import Foundation
import Testing
import TmuxTestSupport
@testable import AsyncTopRuntime

/// Real worker processes: the tests start `asynctop-worker-fixture`, which registers
/// square, fib, fibPid, sleepMs, pid, crash, fail and echo.
@Suite(.serialized) struct ProcessPoolTests {
    func makePool(_ workers: Int, _ name: String) throws -> ProcessPoolExecutor {
        let path = try #require(BuiltBinary.workerFixture, "asynctop-worker-fixture is built beside the tests")
        return try ProcessPoolExecutor(maxWorkers: workers, name: name, executablePath: path)
    }

    func pane(_ name: String, in loop: EventLoop) -> ExecutorInfo? {
        loop.snapshot().executors.first { $0.name == name }
    }

    @Test func cpuWorkRunsInOtherProcessesInParallel() async throws {
        let pool = try makePool(2, "cpu")
        let results = try await onLoop { () -> [[Int]] in
            let a = try spawn { try await pool.run("fibPid", 24, returning: [Int].self) }
            let b = try spawn { try await runInExecutor(pool, "fibPid", 24, returning: [Int].self) }
            return [try await a.value, try await b.value]
        }
        pool.shutdown()
        #expect(results.map { $0[0] } == [46368, 46368])
        let pids = Set(results.map { $0[1] })
        #expect(pids.count == 2, "two workers ran the two calls at once")
        #expect(!pids.contains(Int(getpid())))
    }

    @Test func aWorkerKilledMidCallFailsOnlyThatCallAndIsReplaced() async throws {
        let pool = try makePool(2, "killed")
        try await onLoop {
            let loop = EventLoop.current!
            let doomed = try spawn(name: "doomed") { try await pool.run("sleepMs", 20_000, returning: Int.self, label: "doomed") }
            let survivor = try spawn(name: "survivor") { try await pool.run("sleepMs", 300, returning: Int.self) }
            var victim: Int32?
            for _ in 0..<1000 where victim == nil {
                try await sleep(0.005)
                if let pane = pane("killed", in: loop), pane.busyWorkers == 2,
                   let worker = pane.workers.first(where: { $0.label == "doomed" }) {
                    victim = Int32(worker.name.dropFirst("pid ".count))
                }
            }
            let pid = try #require(victim)
            kill(pid, SIGKILL)
            do {
                _ = try await doomed.value
                Issue.record("the killed worker's call returned")
            } catch let error as ProcessPoolError {
                guard case .brokenWorker(pid, "sleepMs", let reason) = error else {
                    Issue.record("expected a broken worker, got \(error)")
                    return
                }
                #expect(reason.contains("signal 9"))
                #expect(error.description.contains("broken worker"))
            }
            #expect(try await survivor.value != Int(pid), "the other call went on")
            let next = try await pool.run("pid", 0, returning: Int.self)
            #expect(next != Int(pid))
            #expect(try await pool.run("square", 7, returning: Int.self) == 49)
            #expect(!pool.workerPIDs.contains(pid))
        }
        pool.shutdown()
    }

    @Test func shutdownReapsEveryWorkerAndClosesEveryPipe() async throws {
        let pool = try makePool(3, "tidy")
        try pool.startWorkers()
        let pids = pool.workerPIDs
        #expect(pids.count == 3)
        let descriptors = pool.openDescriptors
        #expect(descriptors.count == 6)
        for fd in descriptors { #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0, "fd \(fd) is close-on-exec") }
        let inodes = Set(descriptors.compactMap(pipeInode))
        #expect(inodes.count == 6)
        for pid in pids {
            // Its own two pipes, and no other worker's: close-on-exec kept them out.
            #expect(pipeInodes(in: "/proc/\(pid)/fd").intersection(inodes).count == 2)
        }
        #expect(try await onLoop { try await pool.run("square", 3, returning: Int.self) } == 9)
        pool.shutdown()
        #expect(pool.workerPIDs.isEmpty)
        for pid in pids {
            // A zombie still answers kill(pid, 0); a reaped child is gone.
            #expect(kill(pid, 0) == -1 && errno == ESRCH, "pid \(pid) was reaped")
        }
        #expect(pipeInodes(in: "/proc/self/fd").isDisjoint(with: inodes), "no pipe of the pool is left open")
    }

    @Test func theSnapshotListsQueuedAndRunningCallsWithTheirTasks() async throws {
        let pool = try makePool(1, "visible-procs")
        try await onLoop {
            let loop = EventLoop.current!
            let first = try spawn(name: "first") { try await pool.run("sleepMs", 400, returning: Int.self, label: "held") }
            let second = try spawn(name: "second") { try await pool.run("square", 5, returning: Int.self) }
            let third = try spawn(name: "third") { try await pool.run("square", 6, returning: Int.self) }
            var info: ExecutorInfo?
            for _ in 0..<500 {
                try await sleep(0.002)
                info = pane("visible-procs", in: loop)
                if info?.busyWorkers == 1 && info?.queueDepth == 2 { break }
            }
            let shown = try #require(info)
            #expect(shown.kind == .processes)
            let worker = try #require(shown.workers.first)
            #expect(worker.name == "pid \(pool.workerPIDs.first ?? 0)")
            #expect(worker.awaitingTask == first.id)
            #expect(worker.label == "held")
            #expect(worker.orphaned == false)
            #expect(worker.since != nil)
            #expect(shown.queue.map(\.task) == [second.id, third.id], "the queue in submission order")
            #expect(shown.queue.map(\.label) == ["square", "square"])
            let waiting = try #require(loop.snapshot().task(second.id))
            guard case .suspended(.workItem(executor: "visible-procs", _)) = waiting.state else {
                Issue.record("expected a wait on the pool, got \(waiting.state)")
                return
            }
            _ = try await first.value
            #expect(try await second.value == 25)
            #expect(try await third.value == 36)
            // The queue's waits: the first call none to speak of, the others behind it.
            let waits = try #require(pane("visible-procs", in: loop)?.waitHistogram)
            #expect(waits.count == 3)
            #expect(waits.max >= 300_000_000, "the second call waited behind the 400 ms one: \(waits.max) ns")
        }
        pool.shutdown()
    }

    @Test func cancellingTheAwaitOfARunningCallOrphansIt() async throws {
        let pool = try makePool(1, "orphan-procs")
        try await onLoop {
            let loop = EventLoop.current!
            // Long enough that a busy machine still cancels it while it runs.
            let running = try spawn(name: "running") { try await pool.run("sleepMs", 2000, returning: Int.self) }
            let queued = try spawn(name: "queued") { try await pool.run("square", 4, returning: Int.self) }
            for _ in 0..<500 where pane("orphan-procs", in: loop)?.queueDepth != 1 { try await sleep(0.002) }
            running.cancel(message: "give up")
            queued.cancel(message: "never mind")
            await #expect(throws: CancellationError.self) { try await running.value }
            await #expect(throws: CancellationError.self) { try await queued.value }
            let info = try #require(pane("orphan-procs", in: loop))
            #expect(info.queueDepth == 0, "a cancelled queued call leaves the queue")
            #expect(info.workers.first?.orphaned == true)
            #expect(info.workers.first?.awaitingTask == running.id)
            #expect(loop.snapshot().task(running.id)?.cancel?.deliveredIn?.hasPrefix("orphan-procs item") == true)
            // The orphan runs to its end; then the worker takes calls again.
            #expect(try await pool.run("square", 9, returning: Int.self) == 81)
        }
        pool.shutdown()
    }

    @Test func badInputFailsClearly() async throws {
        #expect(throws: ExecutorError.invalidWorkerCount(0)) { try ProcessPoolExecutor(maxWorkers: 0) }
        #expect(throws: ExecutorError.invalidWorkerCount(-3)) { try ProcessPoolExecutor(maxWorkers: -3) }
        let pool = try makePool(1, "bad-input")
        try await onLoop {
            let unknown = await failure { try await pool.run("nope", 1, returning: Int.self) }
            guard case .unknownFunction("nope", _)? = unknown as? ProcessPoolError else {
                Issue.record("expected an unknown function, got \(String(describing: unknown))")
                return
            }
            let badArgument = await failure { try await pool.run("square", "seven", returning: Int.self) }
            guard case .badArguments("square", let reason)? = badArgument as? ProcessPoolError else {
                Issue.record("expected bad arguments, got \(String(describing: badArgument))")
                return
            }
            #expect(reason.contains("Int"))
            let thrown = await failure { try await pool.run("fail", 0, returning: Int.self) }
            #expect(thrown as? ProcessPoolError == .failed(function: "fail", message: "the function failed on purpose"))
            let badResult = await failure { try await pool.run("square", 3, returning: String.self) }
            guard case .badResult("square", _)? = badResult as? ProcessPoolError else {
                Issue.record("expected a bad result, got \(String(describing: badResult))")
                return
            }
            let crashed = await failure { try await pool.run("crash", 0, returning: Int.self) }
            guard case .brokenWorker(_, "crash", let how)? = crashed as? ProcessPoolError else {
                Issue.record("expected a broken worker, got \(String(describing: crashed))")
                return
            }
            #expect(how.contains("signal 6"))
            #expect(try await pool.run("square", 3, returning: Int.self) == 9, "the pool still works")

            let nowhere = try ProcessPoolExecutor(maxWorkers: 1, name: "nowhere", executablePath: "/nonexistent/worker")
            let missing = await failure { try await nowhere.run("square", 3, returning: Int.self) }
            guard case .spawnFailed("/nonexistent/worker", _)? = missing as? ProcessPoolError else {
                Issue.record("expected a spawn failure, got \(String(describing: missing))")
                return
            }
            nowhere.shutdown()

            let notAWorker = try ProcessPoolExecutor(maxWorkers: 1, name: "not-a-worker", executablePath: "/bin/true")
            let silent = await failure { try await notAWorker.run("square", 3, returning: Int.self) }
            guard case .notAWorker("/bin/true", _)? = silent as? ProcessPoolError else {
                Issue.record("expected not a worker, got \(String(describing: silent))")
                return
            }
            notAWorker.shutdown()
        }
        pool.shutdown()
        await #expect(throws: ExecutorError.shutDown("bad-input")) {
            try await onLoop { try await pool.run("square", 3, returning: Int.self) }
        }
        #expect(throws: ExecutorError.shutDown("bad-input")) { try pool.startWorkers() }
    }
}

/// The error `body` throws, or nil.
func failure<T>(_ body: () async throws -> T) async -> (any Error)? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}

/// The inode of the pipe open as `fd` in this process.
func pipeInode(_ fd: Int32) -> UInt64? {
    var info = stat()
    return fstat(fd, &info) == 0 ? UInt64(info.st_ino) : nil
}

/// The inodes of the pipes open in a process, from its /proc/<pid>/fd links ("pipe:[123]").
func pipeInodes(in directory: String) -> Set<UInt64> {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return Set(entries.compactMap { entry -> UInt64? in
        guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(entry)"),
              link.hasPrefix("pipe:[") else { return nil }
        return UInt64(link.dropFirst("pipe:[".count).dropLast())
    })
}

import AsyncTopModel
import CAsyncTopSupport
import DequeModule
import Foundation

/// A pool of worker processes for CPU-bound calls: Python's `ProcessPoolExecutor`.
///
/// The workers are copies of a program (by default this one) started in worker mode; they
/// run functions registered by name with ``ProcessPool/register(_:_:)``, with `Codable`
/// arguments and results sent over pipes as JSON. Workers start on demand up to
/// `maxWorkers` (or all at once with ``startWorkers()``) and each runs one call at a time.
/// A worker that dies mid-call fails that call with `ProcessPoolError.brokenWorker` and
/// is replaced; the other calls go on. Its queue and running calls, with the tasks
/// awaiting them, show in every loop's snapshot, the workers named `pid <n>`.
///
/// - Warning: call ``shutdown(wait:cancelPending:)`` when done: the workers hold the pool
///   alive until then. The pool ignores `SIGPIPE` in this process, so that writing to a
///   worker that just died is an error and not the end of the program.
public final class ProcessPoolExecutor: DescribedExecutor, @unchecked Sendable {
    public let name: String
    public let maxWorkers: Int
    /// The program the workers run.
    public let executablePath: String

    /// One worker process and what it runs. Guarded by the pool's lock.
    final class Worker: @unchecked Sendable {
        let process: WorkerProcess
        let name: String
        var call: Call?
        var ready = false

        init(process: WorkerProcess) {
            self.process = process
            self.name = "pid \(process.pid)"
        }
    }

    /// A queued or running call: its item and its request frame.
    struct Call {
        let item: WorkItem
        let function: String
        let frame: [UInt8]
    }

    private let lock = ConditionLock()
    /// How long calls waited before a worker process was sent them (under `lock`).
    private let waits = HistogramCounts()
    private var queue: Deque<Call> = []
    private var workers: [Worker] = []
    private var isShutDown = false
    /// A started program that does not say it is ready within this many milliseconds is
    /// not a worker (it may be running its own main): it is killed.
    static let readyTimeoutMilliseconds: Int32 = 10_000

    /// - Parameters:
    ///   - maxWorkers: at most this many worker processes (default: the number of cores).
    ///   - executablePath: the program to start in worker mode (default: this program).
    /// - Throws: `ExecutorError.invalidWorkerCount` when `maxWorkers` is below 1.
    public init(maxWorkers: Int? = nil, name: String = "processes", executablePath: String? = nil) throws {
        let workers = maxWorkers ?? ProcessInfo.processInfo.activeProcessorCount
        guard workers >= 1 else { throw ExecutorError.invalidWorkerCount(workers) }
        self.maxWorkers = workers
        self.name = name
        self.executablePath = executablePath
            ?? (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        signal(SIGPIPE, SIG_IGN)
        ExecutorRegistry.shared.add(self)
    }

    /// Runs the function registered as `function` in a worker with `argument` and awaits
    /// its result: `loop.run_in_executor(pool, fn, arg)`.
    ///
    /// Cancelling the awaiting task ends the await at once with `CancellationError`. A call
    /// still queued is removed; one already running runs on in its worker, shown as orphaned
    /// in the snapshot, and its result is dropped.
    ///
    /// - Parameter label: what the dashboard shows for the call (default: the function name).
    /// - Throws: `ProcessPoolError` for a call that failed (unknown function, bad argument,
    ///   the function threw, the worker died); `ExecutorError.shutDown` after shutdown.
    public func run<Argument: Encodable & Sendable, Result: Decodable & Sendable>(
        _ function: String, _ argument: Argument, returning: Result.Type = Result.self, label: String? = nil
    ) async throws -> Result {
        let encoded: [UInt8]
        do { encoded = Array(try JSONEncoder().encode(argument)) } catch {
            throw ProcessPoolError.badArguments(function: function, reason: "cannot encode \(Argument.self): \(error)")
        }
        let loop = EventLoop.current
        let awaiting: TaskID? = loop.flatMap { $0.currentID == 0 ? nil : $0.currentID }
        let item = WorkItem(executorName: name, label: label ?? function, awaitingTask: awaiting)
        try submit(Call(item: item, function: function,
                        frame: WorkerFrame.request(id: item.id, function: function, argument: encoded)))
        let bytes = try await awaitWorkItem(item, on: loop) { [self] in dequeue(item) } as! [UInt8]
        do { return try JSONDecoder().decode(Result.self, from: Data(bytes)) } catch {
            throw ProcessPoolError.badResult(function: function, reason: "expected \(Result.self): \(error)")
        }
    }

    /// Starts every worker now, and waits until each is ready to take calls (at most
    /// `timeout` seconds): warm workers answer a call in tens of microseconds.
    ///
    /// - Throws: `ProcessPoolError.spawnFailed`; `ExecutorError.shutDown` after shutdown;
    ///   `LoopError.timedOut` when the workers were not ready in time.
    public func startWorkers(timeout: Double = 10) throws {
        try lock.withLock {
            guard !isShutDown else { throw ExecutorError.shutDown(name) }
            while workers.count < maxWorkers { try startWorker() }
            let deadline = MonotonicClock.now() &+ UInt64(max(0, timeout) * 1e9)
            while workers.contains(where: { !$0.ready }) {
                if MonotonicClock.now() >= deadline { throw LoopError.timedOut(timeout) }
                lock.wait(untilMonotonic: deadline)
            }
        }
    }

    /// The pids of the worker processes now.
    public var workerPIDs: [Int32] { lock.withLock { workers.map(\.process.pid) } }

    /// The pool's own pipe descriptors in this process (for tests of leaks).
    var openDescriptors: [Int32] { lock.withLock { workers.flatMap(\.process.descriptors) } }

    /// Stops taking work: Python's `shutdown(wait=, cancel_futures=)`. Each worker exits
    /// once it finished its call and the queue is empty; every one is reaped.
    ///
    /// - Parameters:
    ///   - wait: block until the running and queued calls finished and the workers ended.
    ///   - cancelPending: drop the queued calls; their awaiting tasks get `CancellationError`.
    public func shutdown(wait: Bool = true, cancelPending: Bool = false) {
        let dropped: [Call] = lock.withLock {
            isShutDown = true
            var dropped: [Call] = []
            if cancelPending {
                dropped = Array(queue)
                queue.removeAll()
            }
            for worker in workers where worker.call == nil && queue.isEmpty { worker.process.closeRequests() }
            return dropped
        }
        for call in dropped { call.item.cancelAwait() }
        if wait {
            lock.withLock {
                while !workers.isEmpty { lock.wait() }
            }
        }
        ExecutorRegistry.shared.remove(self)
    }

    // MARK: Dispatch

    func submit(_ call: Call) throws {
        try lock.withLock {
            guard !isShutDown else { throw ExecutorError.shutDown(name) }
            if let idle = workers.first(where: { $0.call == nil && !$0.process.requestsClosed }) {
                if assign(call, to: idle) { return }
            }
            queue.append(call)
            guard workers.count < maxWorkers else { return }
            do { try startWorker() } catch {
                // With no worker to take it, the call would wait forever.
                if workers.isEmpty {
                    queue.removeAll { $0.item === call.item }
                    throw error
                }
            }
        }
    }

    /// Removes a queued call (its awaiting task was cancelled). Running calls stay.
    func dequeue(_ item: WorkItem) {
        lock.withLock { queue.removeAll { $0.item === item } }
    }

    /// Called with the lock held: starts a worker and its reader thread, and gives it the
    /// first queued call (the pipe holds it until the worker reads).
    private func startWorker() throws {
        let worker = Worker(process: try WorkerProcess.spawn(executable: executablePath))
        workers.append(worker)
        let thread = Thread { [self] in
            asynctop_set_thread_name("\(name.prefix(9))-rd")
            readResponses(of: worker)
        }
        thread.stackSize = 256 << 10
        thread.start()
        dispatchNext(to: worker)
    }

    /// Called with the lock held: sends a call to a worker; false when its await was
    /// cancelled meanwhile.
    private func assign(_ call: Call, to worker: Worker) -> Bool {
        guard call.item.begin(on: worker.name) else { return false }
        let now = MonotonicClock.now()
        waits.record(now > call.item.enqueuedAt ? now &- call.item.enqueuedAt : 0)
        worker.call = call
        // A failed write means the worker died: its reader sees the end and fails the call.
        _ = worker.process.send(call.frame)
        return true
    }

    /// Called with the lock held, for a worker that has no call: gives it the next queued
    /// one, or lets it exit when the pool is shut down and nothing is left.
    private func dispatchNext(to worker: Worker) {
        while let next = queue.popFirst() {
            if assign(next, to: worker) { return }
        }
        if isShutDown { worker.process.closeRequests() }
    }

    /// A worker's reader thread: hands each response to its call, then, at the end of the
    /// worker's output, reaps it and fails the call it was running.
    private func readResponses(of worker: Worker) {
        var reader = FrameReader(fd: worker.process.resultFD)
        let pid = worker.process.pid
        var readiness = pollfd(fd: worker.process.resultFD, events: Int16(POLLIN), revents: 0)
        var polled: Int32
        repeat { polled = poll(&readiness, 1, Self.readyTimeoutMilliseconds) } while polled < 0 && errno == EINTR
        let silent = polled == 0
        if silent { kill(pid, SIGKILL) }
        while let payload = reader.next() {
            guard let response = WorkerFrame.parseResponse(payload) else { break }
            if response.status == .ready {
                lock.withLock {
                    worker.ready = true
                    lock.broadcast()
                }
                continue
            }
            let call: Call? = lock.withLock {
                let call = worker.call
                worker.call = nil
                dispatchNext(to: worker)
                return call
            }
            guard let call, call.item.id == response.id else { continue }
            call.item.finish(with: Self.result(of: response, function: call.function, pid: pid))
        }
        let ended = worker.process.reap()
        let reason = silent ? "no answer in \(Self.readyTimeoutMilliseconds / 1000) s; killed" : ended.description
        // A program that ended by itself, or said nothing, before it was ready is not a
        // worker program; one killed by a signal while it started up is a broken worker.
        let notAWorker = !worker.ready && (silent || !ended.bySignal)
        let broken: Call? = lock.withLock {
            workers.removeAll { $0 === worker }
            let broken = worker.call
            worker.call = nil
            defer { lock.broadcast() }
            if notAWorker {
                // Starting another would fail the same way.
                let stranded = Array(queue)
                queue.removeAll()
                for call in stranded where call.item.begin(on: worker.name) {
                    call.item.finish(with: .failure(ProcessPoolError.notAWorker(path: executablePath, reason: reason)))
                }
                return broken
            }
            if !isShutDown && !queue.isEmpty && workers.count < maxWorkers {
                if (try? startWorker()) == nil && workers.isEmpty {
                    // Nothing can run the queued calls: fail them rather than leave them waiting.
                    let stranded = Array(queue)
                    queue.removeAll()
                    for call in stranded where call.item.begin(on: worker.name) {
                        call.item.finish(with: .failure(ProcessPoolError.spawnFailed(path: executablePath, reason: reason)))
                    }
                }
            }
            return broken
        }
        guard let broken else { return }
        broken.item.finish(with: .failure(notAWorker
            ? ProcessPoolError.notAWorker(path: executablePath, reason: reason)
            : ProcessPoolError.brokenWorker(pid: pid, function: broken.function, reason: reason)))
    }

    private static func result(of response: WorkerFrame.Response, function: String, pid: Int32)
        -> Swift.Result<any Sendable, any Error>
    {
        let text = String(decoding: response.body, as: UTF8.self)
        switch response.status {
        case .ok: return .success(response.body)
        case .unknownFunction: return .failure(ProcessPoolError.unknownFunction(function, pid: pid))
        case .badArguments: return .failure(ProcessPoolError.badArguments(function: function, reason: text))
        case .failed: return .failure(ProcessPoolError.failed(function: function, message: text))
        case .ready: return .failure(ProcessPoolError.failed(function: function, message: "unexpected ready frame"))
        }
    }

    // MARK: Snapshot

    func info(timeBase: LoopTimeBase) -> ExecutorInfo {
        func loopTime(_ raw: UInt64) -> Nanos { raw > timeBase.origin ? raw - timeBase.origin : 0 }
        let (current, waiting, depth, waited) = lock.withLock {
            (workers.map { ($0.name, $0.call?.item) }, Array(queue.prefix(200).map(\.item)), queue.count, waits.histogram)
        }
        let workerInfos = current.map { name, item -> WorkerInfo in
            guard let item, let run = item.running else { return WorkerInfo(name: name) }
            return WorkerInfo(name: name, item: item.id, awaitingTask: item.awaitingTask, since: loopTime(run.since),
                              label: item.label, orphaned: run.orphaned)
        }
        let queued = waiting.map {
            QueuedItem(item: $0.id, task: $0.awaitingTask, enqueuedAt: loopTime($0.enqueuedAt), label: $0.label)
        }
        return ExecutorInfo(name: name, kind: .processes, workers: workerInfos, queue: queued, queueDepth: depth,
                            waitHistogram: waited)
    }
}

/// Runs a function registered in a process pool's workers and awaits its result; the same
/// as `executor.run(function, argument)`.
public func runInExecutor<Argument: Encodable & Sendable, Result: Decodable & Sendable>(
    _ executor: ProcessPoolExecutor, _ function: String, _ argument: Argument,
    returning: Result.Type = Result.self, label: String? = nil
) async throws -> Result {
    try await executor.run(function, argument, returning: returning, label: label)
}

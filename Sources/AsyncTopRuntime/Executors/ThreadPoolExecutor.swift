import AsyncTopModel
import CAsyncTopSupport
import DequeModule
import Foundation
import Synchronization

/// Errors of the executors.
public enum ExecutorError: Error, Equatable, CustomStringConvertible {
    /// `maxWorkers` must be at least 1.
    case invalidWorkerCount(Int)
    /// The executor was shut down; it takes no more work.
    case shutDown(String)

    public var description: String {
        switch self {
        case .invalidWorkerCount(let n): "maxWorkers must be at least 1, not \(n)"
        case .shutDown(let name): "executor \(name) is shut down and takes no more work"
        }
    }
}

/// A pool of named threads for blocking calls: Python's `ThreadPoolExecutor`.
///
/// Threads start on demand up to `maxWorkers` and are named `<name>-<n>` (visible in
/// `/proc/<pid>/task/*/comm`). A pool with one worker runs its calls one at a time, in
/// submission order. Its queue and running calls, with the tasks awaiting them, show in
/// every loop's snapshot.
public final class ThreadPoolExecutor: DescribedExecutor, @unchecked Sendable {
    public let name: String
    public let maxWorkers: Int

    private let lock = ConditionLock()
    /// How long calls waited in the queue before a worker took them (under `lock`).
    private let waits = HistogramCounts()
    private var queue: Deque<WorkItem> = []
    private var threads: [Thread] = []
    private var workerNames: [String] = []
    private var running: [WorkItem?] = []
    private var idle = 0
    /// Workers spinning for new work before they sleep (at most ``maxSpinners``).
    private var spinning = 0
    /// Workers signalled or started that have not yet looked at the queue. With one worker
    /// on its way (or spinning), no other is woken: the one that takes a call wakes the
    /// next if more wait, so a burst of short calls does not wake every thread.
    private var waking = 0
    /// `queue.count`, readable without the lock by spinning workers.
    private let pending = Atomic<Int>(0)
    /// A worker that found the queue empty looks again for this long before it sleeps:
    /// under a steady stream of calls the next one usually comes sooner than a futex wake.
    private static let spinNanos: UInt64 = 50_000
    private static let maxSpinners = 1
    private var isShutDown = false
    private let isShutDownFlag = Atomic<Bool>(false)
    private var exited = 0

    /// - Throws: `ExecutorError.invalidWorkerCount` when `maxWorkers` is below 1.
    public init(maxWorkers: Int? = nil, name: String = "pool") throws {
        let workers = maxWorkers ?? min(32, ProcessInfo.processInfo.activeProcessorCount + 4)
        guard workers >= 1 else { throw ExecutorError.invalidWorkerCount(workers) }
        self.maxWorkers = workers
        self.name = name
        ExecutorRegistry.shared.add(self)
    }

    /// Queues a call; starts a worker when none is idle and the pool is not full.
    func submit(_ item: WorkItem) throws {
        try lock.withLock {
            guard !isShutDown else { throw ExecutorError.shutDown(name) }
            queue.append(item)
            pending.store(queue.count, ordering: .relaxed)
            wakeWorkerIfNeeded()
        }
    }

    /// Called with the lock held: wakes or starts one worker when calls wait and no
    /// worker is already coming for them.
    private func wakeWorkerIfNeeded() {
        guard !queue.isEmpty, spinning + waking == 0 else { return }
        if idle > 0 {
            waking += 1
            lock.signal()
        } else if threads.count < maxWorkers {
            waking += 1
            startWorker()
        }
    }

    /// Called with the lock held.
    private func startWorker() {
        let index = threads.count
        let workerName = "\(name)-\(index)"
        workerNames.append(workerName)
        running.append(nil)
        let thread = Thread { [self] in
            asynctop_set_thread_name(workerName)
            self.work(index: index, name: workerName)
        }
        thread.stackSize = 1 << 20
        threads.append(thread)
        thread.start()
    }

    private func work(index: Int, name: String) {
        lock.lock()
        if waking > 0 { waking -= 1 }
        while true {
            var spun = false
            while queue.isEmpty && !isShutDown {
                if !spun && spinning < Self.maxSpinners {
                    spun = true
                    spinning += 1
                    lock.unlock()
                    spinForWork()
                    lock.lock()
                    spinning -= 1
                    continue
                }
                idle += 1
                lock.wait()
                idle -= 1
                if waking > 0 { waking -= 1 }
            }
            guard let item = queue.popFirst() else { break }
            let now = MonotonicClock.now()
            waits.record(now > item.enqueuedAt ? now &- item.enqueuedAt : 0)
            pending.store(queue.count, ordering: .relaxed)
            wakeWorkerIfNeeded()
            running[index] = item
            lock.unlock()
            item.execute(on: name)
            lock.lock()
            running[index] = nil
        }
        exited += 1
        lock.broadcast()
        lock.unlock()
    }

    /// Waits for work without sleeping, for at most ``spinNanos``, yielding the core.
    private func spinForWork() {
        let deadline = MonotonicClock.now() &+ Self.spinNanos
        while pending.load(ordering: .relaxed) == 0 && !isShutDownFlag.load(ordering: .relaxed) {
            sched_yield()
            if MonotonicClock.now() >= deadline { return }
        }
    }

    /// Removes a queued item (its awaiting task was cancelled). Running items stay.
    func dequeue(_ item: WorkItem) {
        lock.withLock {
            if let index = queue.firstIndex(where: { $0 === item }) { queue.remove(at: index) }
            pending.store(queue.count, ordering: .relaxed)
        }
    }

    /// Stops taking work: Python's `shutdown(wait=, cancel_futures=)`.
    ///
    /// - Parameters:
    ///   - wait: block until the running and queued calls finished and the threads ended.
    ///   - cancelPending: drop the queued calls; their awaiting tasks get `CancellationError`.
    public func shutdown(wait: Bool = true, cancelPending: Bool = false) {
        let dropped: [WorkItem] = lock.withLock {
            isShutDown = true
            isShutDownFlag.store(true, ordering: .relaxed)
            lock.broadcast()
            guard cancelPending else { return [] }
            defer { queue.removeAll(); pending.store(0, ordering: .relaxed) }
            return Array(queue)
        }
        for item in dropped { item.cancelAwait() }
        if wait {
            lock.withLock {
                while exited < threads.count { lock.wait() }
            }
        }
        ExecutorRegistry.shared.remove(self)
    }

    /// The pool as the snapshot shows it, with times on `timeBase`.
    func info(timeBase: LoopTimeBase) -> ExecutorInfo {
        func loopTime(_ raw: UInt64) -> Nanos { raw > timeBase.origin ? raw - timeBase.origin : 0 }
        let (names, items, waiting, depth, waited) = lock.withLock {
            (workerNames, running, Array(self.queue.prefix(200)), self.queue.count, waits.histogram)
        }
        var workers: [WorkerInfo] = []
        for (index, name) in names.enumerated() {
            if let item = items[index], let run = item.running {
                workers.append(WorkerInfo(name: run.worker, item: item.id, awaitingTask: item.awaitingTask,
                                          since: loopTime(run.since), label: item.label, orphaned: run.orphaned))
            } else {
                workers.append(WorkerInfo(name: name))
            }
        }
        let queued = waiting.map {
            QueuedItem(item: $0.id, task: $0.awaitingTask, enqueuedAt: loopTime($0.enqueuedAt), label: $0.label)
        }
        return ExecutorInfo(name: name, kind: .threads, workers: workers, queue: queued, queueDepth: depth,
                            waitHistogram: waited)
    }
}

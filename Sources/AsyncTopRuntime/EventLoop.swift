import AsyncTopModel
import CAsyncTopSupport
import DequeModule
import Foundation
import HeapModule
import Synchronization

/// An asyncio-style event loop for native Swift tasks: one dedicated thread that runs every
/// step of every task on it, owns its timers, and records what each task does.
///
/// Tasks run on the loop when they are spawned with ``spawn(name:file:line:_:)`` or created with
/// `Task(executorPreference: loop)`; their `async let` and task-group children follow.
/// ``EventLoop/run(name:debug:instrumented:retention:main:)`` is `asyncio.run`.
public final class EventLoop: TaskExecutor, @unchecked Sendable {
    /// The loop's name; its thread is named after it.
    public let name: String
    /// Debug mode: slow steps are reported (asyncio's `slow_callback_duration`).
    public let debug: Bool
    /// Whether the registry records tasks. Off, the loop only runs them (for comparison).
    public let instrumented: Bool
    /// A step longer than this is reported in debug mode (seconds).
    public var slowStepThreshold: Double = 0.1

    let timeBase = LoopTimeBase.process
    /// Where the loop's thread sleeps: epoll, woken by due timers, ready descriptors and
    /// other threads (loop-thread state, but for `wake()`).
    let reactor: Reactor
    let registry: TaskRegistry

    // MARK: State shared with other threads, guarded by `lock`.

    /// The lock and the phase, shared with the loop's thread, which holds them and not the
    /// loop: a loop no one references any more goes away, and its thread then ends.
    let control = LoopControl()
    var lock: ConditionLock { control.lock }
    /// Work handed over by other threads.
    var inbox: Deque<LoopItem> = []
    /// Set while `inbox` is not empty, so the loop can skip the lock when it is.
    let inboxPending = Atomic<Bool>(false)
    /// The loop thread sleeps on the condition.
    var sleeping = false
    /// Who owns the loop's state (registry, queues, counters): the loop thread while the
    /// phase is `running`; otherwise whoever holds `lock`.
    var phase: Phase {
        get { control.phase }
        set { control.phase = newValue }
    }

    /// `phase`, readable without the lock (by code that may run while it is held).
    var currentPhase: Phase { control.phaseNow }
    var isClosedNow: Bool { currentPhase == .closed }
    /// Resumed when the loop goes back to idle.
    var stoppedWaiters: [UnsafeContinuation<Void, Never>] = []
    /// Threads waiting for something the running loop builds for them (a snapshot), told
    /// when it stops instead, so that they build it themselves.
    var stopWatchers: [any StopWatcher] = []

    enum Phase: UInt8 {
        case idle, running, closed

        var name: String {
            switch self {
            case .idle: "stopped"
            case .running: "running"
            case .closed: "closed"
            }
        }
    }

    // MARK: Loop-thread state.

    var ready: Deque<LoopItem> = []
    var timers: Heap<TimerEntry> = []
    var timerSequence: UInt64 = 0
    var stopRequested = false
    /// The slot and id of the task whose step runs now (-1 and 0 between steps).
    var currentSlot: Slot = -1
    var currentID: TaskID = 0
    /// What the running step said it will wait on.
    var pendingWait: PackedWait?
    /// The running step is of a native task the registry has no name for: the first wait
    /// it notes from inside the task reads the name it was given (`Task(name:)`,
    /// `addTask(name:)`), which only the task itself can see.
    var currentUnnamedNative = false
    var stats = LoopCounters()
    /// Histograms and the one-second series (instrumented loops only).
    let timings = LoopTimings()
    var executorRef: UnownedTaskExecutor!
    /// The loop as the serial executor of the actors isolated to it (see ``LoopActor``).
    let isolation = LoopIsolation()
    var thread: Thread?

    // MARK: Published for other threads, written by the loop thread.

    let currentTaskID = Atomic<UInt64>(0)
    let currentStepStart = Atomic<UInt64>(0)
    let lastSnapshot = Mutex<Snapshot?>(nil)
    /// Snapshots and deltas built on the loop for another thread's request (abandoned ones
    /// are skipped and not counted).
    let requestedBuilds = Atomic<Int>(0)
    /// The pictures of this loop everyone in the process shares (``published(maxAge:timeout:)``).
    let publisher = LoopPublisher()
    private let defaultPool = Mutex<ThreadPoolExecutor?>(nil)
    /// Why the loop runs with less instrumentation than asked for, if it does.
    let instrumentationWarning: String?
    /// Whether the loop reads a native task's status word (to see it end) and job flags
    /// (to tell `async let` and group children apart): see ``RuntimeInternals``.
    let readsTaskStatus: Bool
    let readsTaskKinds: Bool
    let callbackErrors = Mutex<[String]>([])

    /// Creates a loop and starts its thread, idle until it is run.
    ///
    /// The first instrumented loop of a process checks the Swift runtime internals the
    /// instrumentation reads (``RuntimeInternals``); when one does not hold, loops run
    /// without that part of the instrumentation (or without any), say so once on standard
    /// error, and name it in every snapshot (`LoopStats.instrumentationWarning`).
    public convenience init(name: String = "loop", debug: Bool = false, instrumented: Bool = true,
                            retention: RetentionPolicy = RetentionPolicy()) {
        self.init(name: name, debug: debug, instrumented: instrumented, retention: retention,
                  internals: instrumented ? RuntimeInternals.checked : .unchecked)
    }

    init(name: String, debug: Bool, instrumented: Bool, retention: RetentionPolicy, internals: InternalsCheck) {
        self.name = name
        self.debug = debug
        self.instrumented = instrumented && internals.canInstrument
        self.readsTaskStatus = internals.taskStatus
        self.readsTaskKinds = internals.jobFlags
        self.instrumentationWarning = instrumented ? internals.warning : nil
        self.registry = TaskRegistry(retention: retention)
        do { self.reactor = try Reactor() } catch { fatalError("asynctop: \(error)") }
        if !self.instrumented { stats.nextSampleAt = .max }
        self.executorRef = UnownedTaskExecutor(ordinary: self)
        isolation.loop = self
        let started = DispatchSemaphore(value: 0)
        let identity = UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque())
        let owner = LoopReference(self)
        let control = self.control
        let thread = Thread {
            asynctop_set_thread_name(name)
            asynctop_set_tls_loop(UnsafeMutableRawPointer(bitPattern: identity))
            // A write to a pipe whose reader is gone fails with EPIPE here, as in asyncio.
            asynctop_block_sigpipe()
            started.signal()
            EventLoop.threadMain(owner, control)
        }
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
        started.wait()
    }

    /// A loop dropped without `close()` closes itself: its thread ends, and its default
    /// thread pool is shut down. (A task still pending on a loop keeps the loop alive: a
    /// task holds on to the executor it prefers until it finishes.)
    deinit {
        let wasOpen = lock.withLock {
            if phase == .closed { return false }
            phase = .closed
            lock.broadcast()
            return true
        }
        guard wasOpen else { return }
        var boxes: [SpawnedTask] = []
        registry.forEachSlot { slot in
            if !registry[slot].isFinished, let box = registry[slot].box { boxes.append(box) }
        }
        for box in boxes { box.loopClosed() }
        defaultPool.withLock { $0 }?.shutdown(wait: false)
    }

    /// The thread pool of ``toThread(label:_:)``, made on first use.
    public var defaultExecutor: ThreadPoolExecutor {
        defaultPool.withLock { pool in
            if let pool { return pool }
            let made = try! ThreadPoolExecutor(name: "\(name.prefix(8))-io")
            pool = made
            return made
        }
    }

    /// Replaces the pool of ``toThread(label:_:)``: asyncio's `set_default_executor`. The
    /// previous pool is not shut down.
    public func setDefaultExecutor(_ pool: ThreadPoolExecutor) {
        defaultPool.withLock { $0 = pool }
    }

    /// The loop whose thread calls this, if any.
    public static var current: EventLoop? {
        asynctop_tls_loop().map { Unmanaged<EventLoop>.fromOpaque($0).takeUnretainedValue() }
    }

    /// True on this loop's own thread.
    @inline(__always)
    public var isOnLoopThread: Bool {
        asynctop_tls_loop() == Unmanaged.passUnretained(self).toOpaque()
    }

    /// True while the loop is running (between `runUntilComplete`/`runForever` and stop).
    public var isRunning: Bool { lock.withLock { phase == .running } }

    /// True once the loop was closed.
    public var isClosed: Bool { lock.withLock { phase == .closed } }

    /// Errors thrown by callbacks (`callSoon`, `callLater`, done callbacks), oldest first,
    /// as asyncio's default exception handler logs them.
    public var callbackErrorLog: [String] { callbackErrors.withLock { $0 } }

    // MARK: Running

    /// Runs `main` on a new loop until it completes, then cancels the tasks it left
    /// pending, waits for them, reports them, and closes the loop: `asyncio.run`.
    ///
    /// - Parameters:
    ///   - monitor: serve the loop on a socket for `asynctop attach`, `ps` and `pstree`
    ///     (`.socket(path)`); by default the one `ASYNCTOP_SOCKET` asks for, if set.
    ///   - reportLeftovers: called with the tasks that were still pending when `main`
    ///     returned; by default they are listed on standard error.
    /// - Throws: `LoopError.runningInsideLoop` when called from a task of a running loop;
    ///   otherwise whatever `main` throws.
    public static func run<T: Sendable>(
        name: String = "loop", debug: Bool = false, instrumented: Bool = true,
        retention: RetentionPolicy = RetentionPolicy(),
        monitor: MonitorConfiguration? = .fromEnvironment(),
        reportLeftovers: @Sendable ([TaskInfo]) -> Void = EventLoop.printLeftovers,
        main: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard EventLoop.current == nil else { throw LoopError.runningInsideLoop }
        let loop = EventLoop(name: name, debug: debug, instrumented: instrumented, retention: retention)
        defer { try? loop.close() }
        return try await run(on: loop, monitor: monitor, reportLeftovers: reportLeftovers, main: main)
    }

    /// Runs `main` on `loop` until it completes, then cancels the tasks it left pending,
    /// waits for them and reports them, as ``run(name:debug:instrumented:retention:monitor:reportLeftovers:main:)``
    /// does, but leaves the loop open: for ``EventLoop/main``, whose actor
    /// (``MainLoopActor``) outlives one run, or a loop the caller made.
    ///
    /// - Throws: `LoopError.runningInsideLoop`, `.alreadyRunning` or `.closed` for misuse;
    ///   otherwise whatever `main` throws.
    public static func run<T: Sendable>(
        on loop: EventLoop,
        monitor: MonitorConfiguration? = .fromEnvironment(),
        reportLeftovers: @Sendable ([TaskInfo]) -> Void = EventLoop.printLeftovers,
        main: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard EventLoop.current == nil else { throw LoopError.runningInsideLoop }
        let server = try loop.startMonitorIfAsked(monitor)
        defer { server?.stop() }
        let result: Result<T, any Error>
        do { result = .success(try await loop.runUntilComplete(main)) } catch { result = .failure(error) }
        let leftovers = await loop.cancelAllTasks()
        if !leftovers.isEmpty { reportLeftovers(leftovers) }
        return try result.get()
    }

    /// Lists tasks left pending on standard error.
    public static let printLeftovers: @Sendable ([TaskInfo]) -> Void = { tasks in
        var text = "asynctop: the loop closed with \(tasks.count) task(s) left pending, now cancelled:\n"
        for task in tasks { text += "  task \(task.id) \(task.displayName) (\(task.state))\n" }
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Runs the loop until `main` completes and returns its result: `run_until_complete`.
    ///
    /// - Throws: `LoopError.runningInsideLoop`, `.alreadyRunning` or `.closed` for misuse;
    ///   `.stoppedBeforeComplete` when `stop()` came first; otherwise what `main` throws.
    public func runUntilComplete<T: Sendable>(
        file: StaticString = #fileID, line: UInt = #line,
        _ main: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard EventLoop.current == nil else { throw LoopError.runningInsideLoop }
        let handle = try spawnTask(name: "main", origin: .main, file: file, line: line, main)
        handle.addDoneCallback { [weak self] _ in self?.stop() }
        try start()
        await waitUntilStopped()
        guard let result = handle.box.result else { throw LoopError.stoppedBeforeComplete }
        return try result.get() as! T
    }

    /// Runs the loop until `stop()` is called: `run_forever`.
    public func runForever() async throws {
        guard EventLoop.current == nil else { throw LoopError.runningInsideLoop }
        try start()
        await waitUntilStopped()
    }

    /// Asks the loop to stop after the current iteration. Safe from any thread.
    public func stop() {
        onLoop { loop in loop.stopRequested = true }
    }

    /// Closes an idle loop: its thread ends, pending callbacks and timers are dropped, and
    /// its default thread pool is shut down without waiting (as asyncio's `close`). Tasks
    /// that had not finished never will: awaiting them throws `LoopError.closed`.
    ///
    /// - Throws: `LoopError.closeWhileRunning` when it runs.
    public func close() throws {
        let abandoned: [SpawnedTask] = try lock.withLock {
            if phase == .closed { return [] }
            guard phase == .idle else { throw LoopError.closeWhileRunning }
            phase = .closed
            lock.broadcast()
            // Idle, the loop's state belongs to the lock's holder: the loop thread no
            // longer touches it, and snapshots of a closed loop are built under this lock.
            var boxes: [SpawnedTask] = []
            registry.forEachSlot { slot in
                if !registry[slot].isFinished, let box = registry[slot].box { boxes.append(box) }
            }
            timers = Heap()
            ready.removeAll()
            inbox.removeAll()
            registry.removeAll()
            reactor.closeAll()
            return boxes
        }
        for box in abandoned { box.loopClosed() }
        defaultPool.withLock { $0 }?.shutdown(wait: false)
    }

    /// Cancels every task still pending and runs the loop until they finished, as
    /// `asyncio.run` does before it closes. Returns the tasks as they were before the cancel.
    public func cancelAllTasks() async -> [TaskInfo] {
        guard EventLoop.current == nil, !isClosed else { return [] }
        let leftovers = try? await runUntilComplete { [self] () -> [TaskInfo] in
            let own = self.currentID
            var infos: [TaskInfo] = []
            var boxes: [SpawnedTask] = []
            self.registry.forEachSlot { slot in
                guard !self.registry[slot].isFinished, self.registry[slot].id != own else { return }
                infos.append(self.registry[slot].snapshot(executor: self.name, sites: self.registry.sites))
                if let box = self.registry[slot].box { boxes.append(box) }
            }
            for box in boxes { _ = box.cancel(message: "the loop is closing", requester: .loopShutdown) }
            // Let the cancelled tasks run to their end, up to a bound.
            for _ in 0..<1000 where boxes.contains(where: { $0.result == nil }) {
                await Task.yield()
            }
            return infos
        }
        return leftovers ?? []
    }

    func start() throws {
        try lock.withLock {
            switch phase {
            case .closed: throw LoopError.closed
            case .running: throw LoopError.alreadyRunning
            case .idle:
                phase = .running
                lock.broadcast()
            }
        }
        EnvironmentMonitor.loopStarted(self)
        ProcessMonitor.loopStarted(self)
    }

    func waitUntilStopped() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let stopped = lock.withLock {
                if phase != .running { return true }
                stoppedWaiters.append(continuation)
                return false
            }
            if stopped { continuation.resume() }
        }
    }

    /// The loop thread: idle until run, drives until stopped, ends when closed (or when
    /// the loop is gone). It holds the loop only while it runs.
    private static func threadMain(_ owner: LoopReference, _ control: LoopControl) {
        while waitForRun(control), runOnce(owner) {}
        asynctop_set_tls_loop(nil)
    }

    /// Waits while the loop is idle; true when a run begins, false once it is closed.
    private static func waitForRun(_ control: LoopControl) -> Bool {
        control.lock.withLock {
            while control.phase == .idle { control.lock.wait() }
            return control.phase == .running
        }
    }

    /// One run, holding the loop until it is over; false when the loop is gone.
    @inline(never)
    private static func runOnce(_ owner: LoopReference) -> Bool {
        guard let loop = owner.loop else { return false }
        loop.runUntilStopped()
        return true
    }

    private func runUntilStopped() {
        drive()
        // Still running, so no other thread builds snapshots: the loop builds the last one
        // of the run, then hands its state over to whoever takes the lock.
        publishSnapshot()
        let waiters = lock.withLock {
            if phase == .running { phase = .idle }
            for watcher in stopWatchers { watcher.loopStopped() }
            stopWatchers = []
            defer { stoppedWaiters = [] }
            return stoppedWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// The lock and phase of a loop, shared with its thread.
final class LoopControl: @unchecked Sendable {
    let lock = ConditionLock()
    private let mirror = Atomic<UInt8>(EventLoop.Phase.idle.rawValue)
    /// Guarded by `lock`.
    var phase: EventLoop.Phase = .idle {
        didSet { mirror.store(phase.rawValue, ordering: .relaxed) }
    }

    /// The phase without the lock.
    var phaseNow: EventLoop.Phase { EventLoop.Phase(rawValue: mirror.load(ordering: .relaxed)) ?? .idle }
}

/// The loop as its thread knows it: weakly.
final class LoopReference: @unchecked Sendable {
    weak var loop: EventLoop?
    init(_ loop: EventLoop) { self.loop = loop }
}

/// Names the calling thread as the system knows it (`top -H`, `/proc/<pid>/task/*/comm`,
/// and the provenance of the cancellations it requests), cut to the 15 bytes Linux keeps.
///
/// Foundation's `Thread.name`, set inside a thread that just started, is not always
/// applied: the new thread can run before `start()` has recorded it.
public func setCurrentThreadName(_ name: String) {
    _ = asynctop_set_thread_name(name)
}

/// The calling thread's name as the system knows it (what `top -H` shows), such as a
/// thread pool worker's `<pool>-<n>`; "tid <n>" for a thread without one.
/// Cancellations requested from outside a loop task name their thread with it.
public func currentThreadName() -> String {
    var buffer = [CChar](repeating: 0, count: 32)
    if asynctop_get_thread_name(&buffer, 32) == 0, buffer[0] != 0 {
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    return "tid \(asynctop_gettid())"
}

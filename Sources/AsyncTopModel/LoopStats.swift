/// Counters and gauges of one event loop at the moment of a snapshot.
public struct LoopStats: Hashable, Codable, Sendable {
    /// "running", "stopped" or "closed".
    public var phase: String
    public var debug: Bool
    public var instrumented: Bool
    /// Live and retained tasks by state.
    public var tasksByState: [TaskStateKind: Int]
    public var totalSpawned: UInt64
    public var totalSteps: UInt64
    /// Steps per second over the last measuring window (about one second).
    public var stepsPerSecond: Double
    /// Share of wall time the loop spent running steps over the last window, 0...1.
    public var busyFraction: Double
    /// Jobs waiting in the ready queue.
    public var readyQueueDepth: Int
    /// Timers waiting in the timer heap (cancelled ones included until they fall due).
    public var pendingTimers: Int
    /// How late the last timer fired, and the worst lateness, over the last one to two
    /// seconds; both 0 when no timer fell due then. `lagLast` is never above `lagMax`.
    public var lagLast: Nanos
    public var lagMax: Nanos
    /// Finished tasks dropped from the registry by the retention policy.
    public var droppedFinished: UInt64
    /// The task running on the loop right now, and since when (a long step shows here).
    public var currentTask: TaskID?
    public var currentStepSince: Nanos?
    /// Set when the loop could not trust a Swift runtime internal its instrumentation
    /// reads, and runs without that part (or uninstrumented): what is off, and why.
    /// Absent from recordings made before it existed.
    public var instrumentationWarning: String?
    /// Step durations and scheduling latencies (a job's enqueue to its start) of every step
    /// since the loop started, and how late each timer fired; nil from uninstrumented loops
    /// and in recordings made before they existed.
    public var stepHistogram: DurationHistogram?
    public var latencyHistogram: DurationHistogram?
    public var lagHistogram: DurationHistogram?
    /// Time spent running steps since the loop started (nil as the histograms).
    public var busyTotal: Nanos?
    /// The last five minutes, one sample a second. A snapshot carries all of it, a delta
    /// only its last seconds: ``updated(by:)`` joins them.
    public var series: LoopSeries?

    public init(phase: String = "running", debug: Bool = false, instrumented: Bool = true,
                tasksByState: [TaskStateKind: Int] = [:], totalSpawned: UInt64 = 0, totalSteps: UInt64 = 0,
                stepsPerSecond: Double = 0, busyFraction: Double = 0, readyQueueDepth: Int = 0,
                pendingTimers: Int = 0, lagLast: Nanos = 0, lagMax: Nanos = 0, droppedFinished: UInt64 = 0,
                currentTask: TaskID? = nil, currentStepSince: Nanos? = nil, instrumentationWarning: String? = nil,
                stepHistogram: DurationHistogram? = nil, latencyHistogram: DurationHistogram? = nil,
                lagHistogram: DurationHistogram? = nil, busyTotal: Nanos? = nil, series: LoopSeries? = nil) {
        self.phase = phase
        self.debug = debug
        self.instrumented = instrumented
        self.tasksByState = tasksByState
        self.totalSpawned = totalSpawned
        self.totalSteps = totalSteps
        self.stepsPerSecond = stepsPerSecond
        self.busyFraction = busyFraction
        self.readyQueueDepth = readyQueueDepth
        self.pendingTimers = pendingTimers
        self.lagLast = lagLast
        self.lagMax = lagMax
        self.droppedFinished = droppedFinished
        self.currentTask = currentTask
        self.currentStepSince = currentStepSince
        self.instrumentationWarning = instrumentationWarning
        self.stepHistogram = stepHistogram
        self.latencyHistogram = latencyHistogram
        self.lagHistogram = lagHistogram
        self.busyTotal = busyTotal
        self.series = series
    }

    public func count(_ kind: TaskStateKind) -> Int { tasksByState[kind] ?? 0 }

    /// `newer`, with its series joined to ours: a delta carries only the series' last
    /// seconds, and the receiver keeps the rest.
    public func updated(by newer: LoopStats) -> LoopStats {
        var out = newer
        switch (series, newer.series) {
        case let (old?, new?): out.series = old.merged(with: new)
        case let (old?, nil): out.series = old
        default: break
        }
        return out
    }

    /// These stats as a delta carries them: the series' last `seconds` seconds only.
    public func withSeriesSuffix(seconds: Int) -> LoopStats {
        var out = self
        out.series = series?.suffix(seconds: seconds)
        return out
    }
}

/// The kind of an executor.
public enum ExecutorKind: String, Hashable, Codable, Sendable {
    case loop, threads, processes
}

/// One worker of an executor: idle, or running an item.
public struct WorkerInfo: Hashable, Codable, Sendable {
    /// Thread name or "pid 1234".
    public var name: String
    public var item: UInt64?
    public var awaitingTask: TaskID?
    public var since: Nanos?
    public var label: String?
    /// The task that awaited the item was cancelled; the work runs on with no one waiting.
    public var orphaned: Bool

    public init(name: String, item: UInt64? = nil, awaitingTask: TaskID? = nil, since: Nanos? = nil,
                label: String? = nil, orphaned: Bool = false) {
        self.name = name
        self.item = item
        self.awaitingTask = awaitingTask
        self.since = since
        self.label = label
        self.orphaned = orphaned
    }
}

/// One item waiting in an executor's queue.
public struct QueuedItem: Hashable, Codable, Sendable {
    public var item: UInt64
    /// For the loop: the task whose job waits; for pools: the task awaiting the item.
    public var task: TaskID?
    public var enqueuedAt: Nanos
    public var label: String?

    public init(item: UInt64, task: TaskID?, enqueuedAt: Nanos, label: String? = nil) {
        self.item = item
        self.task = task
        self.enqueuedAt = enqueuedAt
        self.label = label
    }
}

/// An executor and the work waiting on it.
public struct ExecutorInfo: Hashable, Codable, Sendable, Identifiable {
    public var name: String
    public var kind: ExecutorKind
    public var workers: [WorkerInfo]
    /// Waiting items in order, possibly truncated to the first `queue.count` of `queueDepth`.
    public var queue: [QueuedItem]
    public var queueDepth: Int
    /// How long items waited in the queue before a worker took them (for the loop: the
    /// scheduling latency of its jobs); nil when not measured.
    public var waitHistogram: DurationHistogram?

    public var id: String { name }

    public init(name: String, kind: ExecutorKind, workers: [WorkerInfo] = [], queue: [QueuedItem] = [], queueDepth: Int? = nil,
                waitHistogram: DurationHistogram? = nil) {
        self.waitHistogram = waitHistogram
        self.name = name
        self.kind = kind
        self.workers = workers
        self.queue = queue
        self.queueDepth = queueDepth ?? queue.count
    }

    public var busyWorkers: Int { workers.filter { $0.item != nil }.count }
}

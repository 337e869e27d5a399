/// One second of a loop's life, as its series keeps it.
public struct LoopSample: Hashable, Sendable {
    /// Loop time at the end of the second.
    public var at: Nanos
    /// Tasks by state at that moment (the registry's counts).
    public var tasksByState: [TaskStateKind: Int]
    /// Tasks spawned and steps run during the second.
    public var spawned: UInt64
    public var steps: UInt64
    /// Share of the second spent running steps, 0...1.
    public var busy: Double
    /// The 99th percentile of timer lateness during the second (0 when no timer fell due).
    public var lagP99: Nanos
    /// Jobs in the ready queue at that moment.
    public var readyQueueDepth: Int

    public init(at: Nanos, tasksByState: [TaskStateKind: Int] = [:], spawned: UInt64 = 0, steps: UInt64 = 0,
                busy: Double = 0, lagP99: Nanos = 0, readyQueueDepth: Int = 0) {
        self.at = at
        self.tasksByState = tasksByState
        self.spawned = spawned
        self.steps = steps
        self.busy = busy
        self.lagP99 = lagP99
        self.readyQueueDepth = readyQueueDepth
    }

    public func count(_ kind: TaskStateKind) -> Int { tasksByState[kind] ?? 0 }
    /// Tasks not finished: pending, running and suspended.
    public var live: Int { count(.pending) + count(.running) + count(.suspended) }
}

// Compact on the wire: {"t":…,"k":[pending,running,suspended,done,failed,cancelled],"n":…,"x":…,"b":…,"l":…,"q":…}.
extension LoopSample: Codable {
    private enum CodingKeys: String, CodingKey { case t, k, n, x, b, l, q }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let counts = try c.decode([Int].self, forKey: .k)
        guard counts.count <= TaskStateKind.allCases.count, counts.allSatisfy({ $0 >= 0 }) else {
            throw DecodingError.dataCorruptedError(forKey: .k, in: c, debugDescription: "sample task counts \(counts) are not one per state")
        }
        var byState: [TaskStateKind: Int] = [:]
        for (kind, n) in zip(TaskStateKind.allCases, counts) where n > 0 { byState[kind] = n }
        let busy = try c.decode(Double.self, forKey: .b)
        guard busy.isFinite else {
            throw DecodingError.dataCorruptedError(forKey: .b, in: c, debugDescription: "sample busy share \(busy) is not a number")
        }
        self.init(at: try c.decode(Nanos.self, forKey: .t), tasksByState: byState,
                  spawned: try c.decode(UInt64.self, forKey: .n), steps: try c.decode(UInt64.self, forKey: .x),
                  busy: Swift.min(Swift.max(busy, 0), 1), lagP99: try c.decode(Nanos.self, forKey: .l),
                  readyQueueDepth: Swift.max(0, try c.decode(Int.self, forKey: .q)))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(at, forKey: .t)
        try c.encode(TaskStateKind.allCases.map { tasksByState[$0] ?? 0 }, forKey: .k)
        try c.encode(spawned, forKey: .n)
        try c.encode(steps, forKey: .x)
        // Three decimals are enough for a share of a second, and keep the wire short.
        try c.encode((busy * 1000).rounded() / 1000, forKey: .b)
        try c.encode(lagP99, forKey: .l)
        try c.encode(readyQueueDepth, forKey: .q)
    }
}

/// A loop's recent history at one-second resolution, oldest first: at most ``capacity``
/// samples (five minutes).
public struct LoopSeries: Hashable, Codable, Sendable {
    public static let capacity = 300

    /// Samples in time order, each at a later `at` than the one before.
    public private(set) var samples: [LoopSample]

    public init(samples: [LoopSample] = []) {
        self.samples = []
        for s in samples { append(s) }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        self.init(samples: try c.decode([LoopSample].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(samples)
    }

    public var isEmpty: Bool { samples.isEmpty }
    public var last: LoopSample? { samples.last }

    /// Adds a sample after the others (one not later than the last replaces the samples from
    /// its time on), dropping the oldest beyond ``capacity``.
    public mutating func append(_ sample: LoopSample) {
        if let last = samples.last, sample.at <= last.at {
            let keep = samples.partitioningIndex { $0.at >= sample.at }
            samples.removeSubrange(keep...)
        }
        samples.append(sample)
        if samples.count > Self.capacity { samples.removeFirst(samples.count - Self.capacity) }
    }

    /// The samples of the last `seconds` seconds before the newest (what a delta carries).
    public func suffix(seconds: Int) -> LoopSeries {
        guard let last = samples.last else { return self }
        let from = last.at &- Nanos(Swift.max(seconds, 0)) &* 1_000_000_000
        let start = samples.partitioningIndex { $0.at > from }
        var out = LoopSeries()
        out.samples = Array(samples[start...])
        return out
    }

    /// This series followed by `newer`'s samples (which replace ours from their first on).
    public func merged(with newer: LoopSeries) -> LoopSeries {
        var out = self
        for s in newer.samples { out.append(s) }
        return out
    }

    /// The samples at or before loop time `at` (what replay shows at a seek position).
    public func upTo(_ at: Nanos) -> LoopSeries {
        var out = LoopSeries()
        out.samples = Array(samples[..<samples.partitioningIndex { $0.at > at }])
        return out
    }
}

extension Array {
    /// The first index where `predicate` holds, for a predicate false then true along the array.
    func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if predicate(self[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}

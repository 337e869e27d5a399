/// An immutable picture of a loop: every tracked task, the loop's counters and its executors.
///
/// The one thing the dashboard, the recorder and the wire protocol consume. Build a newer
/// one from an older one with ``applying(_:)`` and a ``SnapshotDelta``.
public struct Snapshot: Hashable, Codable, Sendable {
    /// The registry's version when the snapshot was taken; grows with every change.
    public var version: UInt64
    /// Loop time of the snapshot.
    public var takenAt: Nanos
    /// Unix time (seconds) of the loop's time zero, to show wall-clock times.
    public var epoch: Double
    public var loopName: String
    public var stats: LoopStats
    /// Tasks ordered by id.
    public var tasks: [TaskInfo]
    public var executors: [ExecutorInfo]
    /// The live synchronization primitives, queues and futures, with holders and waiters, by id.
    public var resources: [ResourceInfo]

    public init(version: UInt64 = 0, takenAt: Nanos = 0, epoch: Double = 0, loopName: String = "loop",
                stats: LoopStats = LoopStats(), tasks: [TaskInfo] = [], executors: [ExecutorInfo] = [],
                resources: [ResourceInfo] = []) {
        self.version = version
        self.takenAt = takenAt
        self.epoch = epoch
        self.loopName = loopName
        self.stats = stats
        self.tasks = tasks
        self.executors = executors
        self.resources = resources
    }

    /// The resource with this id.
    public func resource(_ id: UInt64) -> ResourceInfo? { resources.first { $0.id == id } }

    /// The task with this id, by binary search.
    public func task(_ id: TaskID) -> TaskInfo? {
        let i = tasks.partitionIndex(forID: id)
        return i < tasks.count && tasks[i].id == id ? tasks[i] : nil
    }

    /// The tasks whose parent is `id`, in id order.
    public func children(of id: TaskID) -> [TaskInfo] { tasks.filter { $0.parentID == id } }

    /// The snapshot the delta leads to. Tasks the delta changed replace or join ours; removed ones go.
    public func applying(_ delta: SnapshotDelta) -> Snapshot {
        var next = self
        next.version = delta.toVersion
        next.takenAt = delta.takenAt
        // A full delta carries the whole series; a partial one its last seconds.
        next.stats = delta.isFull ? delta.stats : stats.updated(by: delta.stats)
        next.executors = delta.executors
        next.resources = delta.resources
        if delta.isFull {
            next.tasks = delta.changed
            return next
        }
        var removed = Set(delta.removed)
        var merged: [TaskInfo] = []
        merged.reserveCapacity(tasks.count + delta.changed.count)
        var i = 0, j = 0
        let changed = delta.changed
        while i < tasks.count || j < changed.count {
            if j == changed.count || (i < tasks.count && tasks[i].id < changed[j].id) {
                if !removed.contains(tasks[i].id) { merged.append(tasks[i]) }
                i += 1
            } else {
                if i < tasks.count && tasks[i].id == changed[j].id { i += 1 }
                if removed.remove(changed[j].id) == nil { merged.append(changed[j]) }
                j += 1
            }
        }
        next.tasks = merged
        return next
    }

    /// Applies the delta in place, as ``applying(_:)`` does. A delta that removes nothing
    /// and only changes tasks already here, or adds tasks after the last, updates them
    /// where they are: with 10,000 tasks and a few hundred changed, that is a few hundred
    /// copies and not 10,000.
    public mutating func apply(_ delta: SnapshotDelta) {
        guard !delta.isFull, delta.removed.isEmpty else { return self = applying(delta) }
        var positions: [Int] = []
        positions.reserveCapacity(delta.changed.count)
        for task in delta.changed {
            let i = tasks.partitionIndex(forID: task.id)
            if i < tasks.count && tasks[i].id == task.id {
                positions.append(i)
            } else if i < tasks.count {
                // A new task between others: merge.
                return self = applying(delta)
            } else {
                break  // this one and the rest come after the last task
            }
        }
        version = delta.toVersion
        takenAt = delta.takenAt
        stats = stats.updated(by: delta.stats)
        executors = delta.executors
        resources = delta.resources
        for (j, i) in positions.enumerated() { tasks[i] = delta.changed[j] }
        tasks.append(contentsOf: delta.changed[positions.count...])
    }
}

/// What changed between two snapshots: tasks changed or new since `fromVersion`, ids removed.
public struct SnapshotDelta: Hashable, Codable, Sendable {
    public var fromVersion: UInt64
    public var toVersion: UInt64
    public var takenAt: Nanos
    /// True when the registry no longer knew what was removed since `fromVersion`:
    /// `changed` then holds every task, and applying replaces them all.
    public var isFull: Bool
    /// Changed or new tasks, ordered by id.
    public var changed: [TaskInfo]
    public var removed: [TaskID]
    public var stats: LoopStats
    public var executors: [ExecutorInfo]
    /// Every live resource (not only the changed ones), as `executors`.
    public var resources: [ResourceInfo]

    public init(fromVersion: UInt64, toVersion: UInt64, takenAt: Nanos, isFull: Bool, changed: [TaskInfo],
                removed: [TaskID], stats: LoopStats, executors: [ExecutorInfo], resources: [ResourceInfo] = []) {
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.takenAt = takenAt
        self.isFull = isFull
        self.changed = changed
        self.removed = removed
        self.stats = stats
        self.executors = executors
        self.resources = resources
    }
}

// Recordings and peers from before the resources view have no `resources` key.
extension Snapshot {
    private enum CodingKeys: String, CodingKey {
        case version, takenAt, epoch, loopName, stats, tasks, executors, resources
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(version: try c.decode(UInt64.self, forKey: .version), takenAt: try c.decode(Nanos.self, forKey: .takenAt),
                  epoch: try c.decode(Double.self, forKey: .epoch), loopName: try c.decode(String.self, forKey: .loopName),
                  stats: try c.decode(LoopStats.self, forKey: .stats), tasks: try c.decode([TaskInfo].self, forKey: .tasks),
                  executors: try c.decode([ExecutorInfo].self, forKey: .executors),
                  resources: try c.decodeIfPresent([ResourceInfo].self, forKey: .resources) ?? [])
    }
}

extension SnapshotDelta {
    private enum CodingKeys: String, CodingKey {
        case fromVersion, toVersion, takenAt, isFull, changed, removed, stats, executors, resources
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(fromVersion: try c.decode(UInt64.self, forKey: .fromVersion),
                  toVersion: try c.decode(UInt64.self, forKey: .toVersion), takenAt: try c.decode(Nanos.self, forKey: .takenAt),
                  isFull: try c.decode(Bool.self, forKey: .isFull), changed: try c.decode([TaskInfo].self, forKey: .changed),
                  removed: try c.decode([TaskID].self, forKey: .removed), stats: try c.decode(LoopStats.self, forKey: .stats),
                  executors: try c.decode([ExecutorInfo].self, forKey: .executors),
                  resources: try c.decodeIfPresent([ResourceInfo].self, forKey: .resources) ?? [])
    }
}

extension Array where Element == TaskInfo {
    /// The first index whose task id is not below `id` (the array is ordered by id).
    func partitionIndex(forID id: TaskID) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid].id < id { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

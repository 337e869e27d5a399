extension SnapshotDelta {
    /// A full delta: applying it to any snapshot gives `snapshot`'s tasks and counters.
    public static func full(_ snapshot: Snapshot) -> SnapshotDelta {
        SnapshotDelta(fromVersion: 0, toVersion: snapshot.version, takenAt: snapshot.takenAt, isFull: true,
                      changed: snapshot.tasks, removed: [], stats: snapshot.stats, executors: snapshot.executors,
                      resources: snapshot.resources)
    }

    /// Seconds of the loop's series a (non-full) delta carries.
    public static let seriesSeconds = 10

    /// The delta from `old` to `new` (full when there is no `old`): tasks new or changed
    /// (by version or state), and ids gone; the series' last ``seriesSeconds`` seconds.
    public static func between(_ old: Snapshot?, _ new: Snapshot) -> SnapshotDelta {
        guard let old else { return full(new) }
        var changed: [TaskInfo] = []
        var removed: [TaskID] = []
        var i = 0, j = 0
        while i < old.tasks.count || j < new.tasks.count {
            if j == new.tasks.count || (i < old.tasks.count && old.tasks[i].id < new.tasks[j].id) {
                removed.append(old.tasks[i].id)
                i += 1
            } else if i == old.tasks.count || new.tasks[j].id < old.tasks[i].id {
                changed.append(new.tasks[j])
                j += 1
            } else {
                if old.tasks[i] != new.tasks[j] { changed.append(new.tasks[j]) }
                i += 1
                j += 1
            }
        }
        return SnapshotDelta(fromVersion: old.version, toVersion: new.version, takenAt: new.takenAt, isFull: false,
                             changed: changed, removed: removed, stats: new.stats.withSeriesSuffix(seconds: seriesSeconds), executors: new.executors,
                             resources: new.resources)
    }
}

extension Snapshot {
    /// One picture of several loops of a process, as a client of a socket serving them all
    /// shows them: their tasks in id order (task ids are unique in a process), each loop's
    /// executor, the process's pools once (every loop lists them), their resources; their
    /// counters combined (``LoopStats/combining(_:)``). The loops share the process's time line, so their times are
    /// compared as they are.
    ///
    /// One loop's picture is returned as it is.
    public static func merging(_ loops: [Snapshot]) -> Snapshot {
        guard var merged = loops.first else { return Snapshot() }
        guard loops.count > 1 else { return merged }
        merged.loopName = loops.map(\.loopName).joined(separator: ", ")
        // Grows whenever one of them changes, as one loop's version does.
        merged.version = loops.reduce(0) { $0 &+ $1.version }
        merged.takenAt = loops.map(\.takenAt).max() ?? merged.takenAt
        // The loops first, each one, as the top-level executors, then the pools they share
        // (every loop lists the process's pools), once each.
        var names = Set<String>()
        let executors = loops.flatMap(\.executors)
        merged.executors = executors.filter { $0.kind == .loop }
            + executors.filter { $0.kind != .loop && names.insert($0.name).inserted }
        merged.resources = loops.flatMap(\.resources)
        merged.stats = LoopStats.combining(loops.map(\.stats))
        merged.tasks = loops.dropFirst().reduce(merged.tasks) { Self.merge($0, $1.tasks) }
        return merged
    }

    /// Two arrays ordered by id, as one.
    private static func merge(_ a: [TaskInfo], _ b: [TaskInfo]) -> [TaskInfo] {
        if b.isEmpty { return a }
        if a.isEmpty { return b }
        if a[a.count - 1].id < b[0].id { return a + b }
        var out: [TaskInfo] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i].id <= b[j].id { out.append(a[i]); i += 1 } else { out.append(b[j]); j += 1 }
        }
        out += a[i...]
        out += b[j...]
        return out
    }
}

extension LoopStats {
    /// The counters of several loops as one: tasks, steps, queues and timers added up; the
    /// busiest loop's share and the worst lag; the histograms merged; the first loop's
    /// phase, current task and per-second series (the loop view shows the first loop).
    public static func combining(_ all: [LoopStats]) -> LoopStats {
        guard var out = all.first else { return LoopStats() }
        for other in all.dropFirst() {
            out.tasksByState.merge(other.tasksByState, uniquingKeysWith: +)
            out.totalSpawned &+= other.totalSpawned
            out.totalSteps &+= other.totalSteps
            out.stepsPerSecond += other.stepsPerSecond
            out.busyFraction = max(out.busyFraction, other.busyFraction)
            out.readyQueueDepth += other.readyQueueDepth
            out.pendingTimers += other.pendingTimers
            out.lagLast = max(out.lagLast, other.lagLast)
            out.lagMax = max(out.lagMax, other.lagMax)
            out.droppedFinished &+= other.droppedFinished
            out.debug = out.debug || other.debug
            out.instrumented = out.instrumented && other.instrumented
            out.instrumentationWarning = out.instrumentationWarning ?? other.instrumentationWarning
            func merged(_ a: DurationHistogram?, _ b: DurationHistogram?) -> DurationHistogram? {
                guard var a else { return b }
                if let b { a.merge(b) }
                return a
            }
            out.stepHistogram = merged(out.stepHistogram, other.stepHistogram)
            out.latencyHistogram = merged(out.latencyHistogram, other.latencyHistogram)
            out.lagHistogram = merged(out.lagHistogram, other.lagHistogram)
            if let busy = other.busyTotal { out.busyTotal = (out.busyTotal ?? 0) &+ busy }
        }
        return out
    }
}

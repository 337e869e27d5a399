import AsyncTopRuntime
import Synchronization

extension DemoCatalogue {
    static let stress = Demo(
        name: "stress",
        summary: "10,111 tasks in a 4-level tree, sleeping at random for 30 s or --duration",
        expected: "10111 tasks ran in a tree of depth 4; all finished or were cancelled at the end",
        about: """
            Scale: 10,111 tasks in a four-level tree (`stress` → 10 regions → 10 shards each → 100 \
            workers each), every worker sleeping at random (0.1–1 s a time) over and over, for 30 s \
            (`--duration`, counted from when every worker runs) or until you cancel `stress`. Then the \
            whole tree is cancelled, through the task groups of each level, and every worker stops at \
            its next await.

            In the dashboard: thousands of tasks suspended on sleeps, a few running at any moment, the \
            counts by state in the header, the tree (`t`) collapsed and expanded level by level \
            (`+`/`-`), search (`/`) for a worker by name, and at the end the cancellation sweeping down \
            the tree.
            """
    ) { _ in
        let shape = StressShape(regions: 10, shards: 10, workers: 100)
        let tally = StressTally(workers: shape.regions * shape.shards * shape.workers)
        let root = try spawn(name: "stress") { () async throws -> Void in
            // Also when the tree is cancelled while it grows: the demo waits for this.
            defer { tally.grown.set() }
            try await tally.track(depth: 1) { try await growRegions(shape, tally) }
        }
        do {
            // The time starts once every worker runs, so that a slow start does not shrink the tree.
            try await tally.grown.wait()
            _ = try await waitFor(root, timeout: Demo.scaled(Demo.duration ?? 30))
        } catch is TimeoutError {
            // The time is up: waitFor cancelled the tree and waited until it ended.
        } catch is CancellationError where !Task.isCancelled {
            // Someone cancelled `stress` itself: the tree ended early.
        } catch {
            root.cancel(message: "the stress demo was cancelled")
            throw error
        }
        let counts = tally.counts
        say("stress: \(counts.started) tasks, \(counts.finished) finished, \(counts.cancelled) cancelled")
        let open = counts.started - counts.finished - counts.cancelled
        return "\(counts.started) tasks ran in a tree of depth \(counts.deepest); "
            + (open == 0 ? "all finished or were cancelled at the end" : "\(open) had not ended at the end")
    }

    private static func growRegions(_ shape: StressShape, _ tally: StressTally) async throws {
        try await withLoopTaskGroup(name: "regions") { regions in
            for region in 1...shape.regions {
                try regions.spawn(name: "region-\(region)") { () async throws -> Void in
                    try await tally.track(depth: 2) { try await growShards(shape, region: region, tally) }
                }
            }
        }
    }

    private static func growShards(_ shape: StressShape, region: Int, _ tally: StressTally) async throws {
        try await withLoopTaskGroup(name: "shards of region-\(region)") { shards in
            for shard in 1...shape.shards {
                try shards.spawn(name: "shard-\(region).\(shard)") { () async throws -> Void in
                    try await tally.track(depth: 3) { try await growWorkers(shape, at: "\(region).\(shard)", tally) }
                }
            }
        }
    }

    private static func growWorkers(_ shape: StressShape, at place: String, _ tally: StressTally) async throws {
        try await withLoopTaskGroup(name: "workers of shard-\(place)") { workers in
            for worker in 1...shape.workers {
                // Spawning is a step of the shard's: ten at a time keeps each short (a
                // hundred at once held the loop for 25 ms in a debug build).
                if worker % 10 == 0 { await Task.yield() }
                try workers.spawn(name: "worker-\(place).\(worker)") { () async throws -> Void in
                    try await tally.track(depth: 4) {
                        // Until the tree is cancelled: workers that ended on their own would
                        // end the demo before its time (120 rounds ended every one by 70 s).
                        while true { try await pause(Double.random(in: 0.1...1)) }
                    }
                }
            }
        }
    }
}

/// How wide each level of the stress tree is.
private struct StressShape: Sendable {
    let regions: Int
    let shards: Int
    let workers: Int
}

/// Counts of the stress tree's tasks, kept by the tasks themselves.
private final class StressTally: Sendable {
    struct Counts {
        var started = 0
        var finished = 0
        var cancelled = 0
        var deepest = 0
        var workersStarted = 0
    }
    private let state = Mutex(Counts())
    let workers: Int
    /// Set once every worker runs (or the tree ended before).
    let grown = Event(name: "stress tree grown")

    init(workers: Int) { self.workers = workers }

    var counts: Counts { state.withLock { $0 } }

    /// Runs a task's body, counting its start and how it ended.
    func track(depth: Int, _ body: () async throws -> Void) async throws {
        let allRunning = state.withLock { counts in
            counts.started += 1
            counts.deepest = max(counts.deepest, depth)
            if depth == 4 { counts.workersStarted += 1 }
            return depth == 4 && counts.workersStarted == workers
        }
        if allRunning { grown.set() }
        do {
            try await body()
            state.withLock { $0.finished += 1 }
        } catch {
            state.withLock { counts in
                if error is CancellationError { counts.cancelled += 1 }
            }
            throw error
        }
    }
}

import AsyncTopModel
import Foundation
import Synchronization
import Testing
@testable import AsyncTopRuntime

@Suite struct RegistryTests {
    @Test func statesAndTransitionsThroughSleepAndCancellation() async throws {
        try await onLoop {
            let loop = EventLoop.current!
            let sleeper = try spawn(name: "sleeper") { try await sleep(10) }
            #expect(loop.snapshot().task(sleeper.id)?.state == .pending)
            try await sleep(0)
            let suspended = try #require(loop.snapshot().task(sleeper.id))
            guard case .suspended(.sleep) = suspended.state else {
                Issue.record("expected a sleep, got \(suspended.state)")
                return
            }
            #expect(suspended.steps == 1)
            sleeper.cancel(message: "wake up")
            _ = try? await sleeper.value
            let ended = try #require(loop.snapshot().task(sleeper.id))
            #expect(ended.state == .cancelled(message: "wake up"))
            // Created, first step, asleep, asked to stop while asleep, the step that ended it.
            #expect(ended.timeline.map(\.state) == [.pending, .running, .suspended, .suspended, .running, .cancelled])
            #expect(ended.timeline[2].detail?.hasPrefix("sleep until") == true)
            #expect(ended.timeline[3].detail?.contains("cancel requested") == true)
            #expect(ended.timeline.map(\.at) == ended.timeline.map(\.at).sorted())
            #expect(ended.finishedAt != nil && ended.steps == 2)
            let me = try #require(currentTask())
            #expect(ended.cancel?.requestedBy == .task(me.id))
            #expect(ended.cancel?.deliveredIn?.hasPrefix("sleep") == true)
            #expect(ended.cancel?.outcome == .cancelled)
        }
    }

    @Test func parentsOfSpawnAsyncLetAndGroupChildren() async throws {
        try await onLoop {
            let loop = EventLoop.current!
            let mainID = try #require(currentTask()).id
            let parent = try spawn(name: "parent") { () async throws -> [TaskID] in
                async let letChild: TaskID = { currentTaskIDForTest() }()
                let groupIDs = await withTaskGroup(of: TaskID.self) { group in
                    for _ in 0..<3 { group.addTask { await Task.yield(); return currentTaskIDForTest() } }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                return await [letChild] + groupIDs
            }
            let childIDs = try await parent.value
            let snap = loop.snapshot()
            #expect(snap.task(parent.id)?.parentID == mainID)
            #expect(childIDs.count == 4)
            #expect(childIDs.compactMap { snap.task($0)?.origin } == [.asyncLet, .groupChild, .groupChild, .groupChild])
            for id in childIDs {
                let child = try #require(snap.task(id))
                #expect(child.parentID == parent.id)
                #expect(child.state.kind == .done, "native child \(id) should be seen finished: \(child.state)")
            }
        }
    }

    @Test func nativeTasksShowTheNamesTheyWereGiven() async throws {
        try await onLoop {
            let loop = EventLoop.current!
            await withTaskGroup(of: Void.self) { group in
                group.addTask(name: "named-child") { try? await sleep(0.01) }
                group.addTask { try? await sleep(0.01) }
            }
            let children = loop.snapshot().tasks.filter { $0.origin == .groupChild }
            #expect(children.map(\.displayName).sorted() == ["group child", "named-child"])
        }
    }

    @Test func currentTaskInsideAndOutside() async throws {
        #expect(currentTask() == nil)
        try await onLoop {
            let outer = try #require(currentTask())
            #expect(outer.name == "main")
            #expect(outer.state == .running)
            let inner = try spawn(name: "inner") { currentTask()?.name }
            #expect(try await inner.value == "inner")
            let fromCallback = Mutex<String?>("unset")
            EventLoop.current!.callSoon { fromCallback.withLock { $0 = currentTask()?.name } }
            try await sleep(0.001)
            #expect(fromCallback.withLock { $0 } == nil)
            let fromThread = await Task.detached { currentTask() }.value
            #expect(fromThread == nil)
        }
    }

    @Test func allTasksCountsThePendingOnes() async throws {
        try await onLoop {
            let waiters = try (0..<50).map { i in try spawn(name: "w\(i)") { try await sleep(10) } }
            let quick = try (0..<20).map { _ in try spawn { 0 } }
            for task in quick { _ = try await task.value }
            let all = try allTasks()
            #expect(all.count == 51)  // the 50 sleepers and main
            #expect(Set(all.map(\.name)).isSuperset(of: ["main", "w0", "w49"]))
            for task in waiters { task.cancel() }
        }
        #expect(throws: LoopError.self) { try allTasks() }
    }

    @Test func provenanceOfACancelFromAForeignThread() async throws {
        try await onLoop {
            let loop = EventLoop.current!
            let target = try spawn(name: "target") { try await sleep(3600) }
            try await sleep(0)
            // A plain thread: a task of the global pool could wait behind blocked tests.
            let cancelled = await withCheckedContinuation { done in
                Thread { done.resume(returning: target.cancel(message: "from outside")) }.start()
            }
            #expect(cancelled)
            _ = try? await target.value
            let info = try #require(loop.snapshot().task(target.id))
            guard case .thread = info.cancel?.requestedBy else {
                Issue.record("expected a thread requester, got \(String(describing: info.cancel))")
                return
            }
            #expect(info.cancel?.message == "from outside")
            #expect(info.cancel?.outcome == .cancelled)
        }
    }

    @Test func aTaskThatSwallowsCancellationIsShownSo() async throws {
        try await onLoop {
            let stubborn = try spawn(name: "stubborn") { () async -> String in
                do { try await sleep(10) } catch { return "carried on" }
                return "slept"
            }
            try await sleep(0)
            stubborn.cancel(message: "please stop")
            #expect(try await stubborn.value == "carried on")
            let info = try #require(EventLoop.current!.snapshot().task(stubborn.id))
            #expect(info.state == .done(result: "carried on"))
            #expect(info.cancel?.outcome == .swallowed)
            #expect(info.cancel?.deliveredAt != nil)
        }
    }

    @Test func retentionBoundsHoldUnder100kShortTasks() async throws {
        let retention = RetentionPolicy(maxFinished: 1_000, maxAge: 60)
        try await EventLoop.run(retention: retention, reportLeftovers: { _ in }) {
            let loop = EventLoop.current!
            for _ in 0..<100 {
                let batch = try (0..<1_000).map { _ in try spawn { 1 } }
                for task in batch { _ = try await task.value }
            }
            let snap = loop.snapshot()
            let finished = snap.tasks.filter { $0.state.isFinished }.count
            #expect(finished <= 1_000)
            #expect(snap.tasks.count <= 1_001)
            #expect(snap.stats.droppedFinished >= 99_000)
            #expect(snap.stats.totalSpawned >= 100_001)
            #expect(loop.registry.count == snap.tasks.count)
        }
    }

    @Test func retentionByAge() async throws {
        // Ages far apart from the steps' own times, which a sanitizer build stretches to
        // tens of milliseconds.
        try await EventLoop.run(retention: RetentionPolicy(maxFinished: 100, maxAge: 0.3), reportLeftovers: { _ in }) {
            let loop = EventLoop.current!
            let short = try spawn(name: "short") { 1 }
            _ = try await short.value
            #expect(loop.snapshot().task(short.id) != nil)
            try await sleep(0.4)
            _ = try await spawn { 2 }.value  // a finish triggers eviction
            #expect(loop.snapshot().task(short.id) == nil)
        }
    }

    @Test func aDeltaAppliedToAnOlderSnapshotEqualsTheNewOne() async throws {
        try await EventLoop.run(retention: RetentionPolicy(maxFinished: 5), reportLeftovers: { _ in }) {
            let loop = EventLoop.current!
            let sleepers = try (0..<10).map { i in try spawn(name: "s\(i)") { try await sleep(3600) } }
            try await sleep(0)
            var old = loop.snapshot()
            for round in 0..<4 {
                _ = try spawn(name: "new\(round)") { 1 }
                sleepers[round].cancel()
                try await sleep(0)
                let delta = loop.delta(since: old.version)
                let new = loop.snapshot()
                #expect(!delta.isFull)
                #expect(delta.changed.count < new.tasks.count)
                var applied = old.applying(delta)
                // Counters, executors (thread pools are process-wide: other tests use
                // them meanwhile) and resources are taken fresh each time; tasks are the point.
                applied.takenAt = new.takenAt
                applied.stats = new.stats
                applied.executors = new.executors
                applied.resources = new.resources
                #expect(applied == new)
                old = new
            }
        }
    }

    @Test func aDeltaFromTooFarBackIsFull() async throws {
        try await EventLoop.run(retention: RetentionPolicy(maxFinished: 0), reportLeftovers: { _ in }) {
            let loop = EventLoop.current!
            let delta = loop.delta(since: 0)
            #expect(!delta.isFull)
            for _ in 0..<3 { _ = try await spawn { 1 }.value }
            #expect(loop.delta(since: 0).removed.count == 3)
        }
    }

    @Test func theLoopCountsStepsAndStates() async throws {
        try await onLoop {
            let loop = EventLoop.current!
            let ticker = try spawn(name: "ticker") { for _ in 0..<100 { try await sleep(0) } }
            try await ticker.value
            let snap = loop.snapshot()
            #expect(snap.task(ticker.id)!.steps == 101)
            #expect(snap.stats.totalSteps >= 101)
            #expect(snap.stats.count(.done) >= 1)
            #expect(snap.stats.count(.running) == 1)  // main, taking the snapshot
            #expect(snap.stats.instrumented)
            #expect(snap.executors.first?.kind == .loop)
        }
    }

    @Test func aSnapshotFromAnotherThreadSeesABlockedLoop() async throws {
        let loop = EventLoop(name: "blocked")
        let release = DispatchSemaphore(value: 0)
        let work = Task.detached {
            try await loop.runUntilComplete { () -> TaskID in
                release.wait()  // holds the loop thread, as CPU work in a task would
                return currentTask()!.id
            }
        }
        // Wait for the step to start without blocking a thread of the cooperative pool: the
        // published current task appears even while the loop is stuck.
        var snap = loop.snapshot(timeout: 0.01)
        while snap.stats.currentTask == nil {
            try await Task.sleep(for: .milliseconds(1))
            snap = loop.snapshot(timeout: 0.01)
        }
        release.signal()
        let blocker = try await work.value
        #expect(snap.stats.currentTask == blocker)
        #expect(snap.stats.currentStepSince != nil)
        try loop.close()
    }

    /// Requests that timed out while the loop was stuck in a long step are not carried out
    /// when it returns: ten times a second for a second leaves no pile of snapshots to build.
    @Test func aStuckLoopBuildsNothingForRequestsThatGaveUp() async throws {
        let loop = EventLoop(name: "stuck")
        let release = DispatchSemaphore(value: 0)
        let stuck = Atomic<Bool>(false)
        let work = Task.detached {
            try await loop.runUntilComplete { () -> Int in
                for _ in 0..<2_000 { try spawn { try await sleep(3600) } }
                try await sleep(0.01)
                stuck.store(true, ordering: .releasing)
                release.wait()  // holds the loop thread
                try await sleep(0.05)  // a turn for whatever the loop finds in its inbox
                return 0
            }
        }
        // Polled without blocking a thread of the cooperative pool.
        while !stuck.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(2)) }
        let before = loop.requestedBuilds.load(ordering: .relaxed)
        var version: UInt64 = 0
        for _ in 0..<10 {
            let delta = loop.delta(since: version, timeout: 0.05)
            version = delta.toVersion
            _ = loop.snapshot(timeout: 0.05)
        }
        release.signal()
        _ = try await work.value
        #expect(loop.requestedBuilds.load(ordering: .relaxed) == before, "requests given up were built anyway")
        // A request that waits is still answered.
        #expect(loop.snapshot().tasks.count >= 2_000)
        try loop.close()
    }

    /// Deltas read from the registry's log of changed records (one consumer asking from its
    /// last delta) and from a scan (another asking from elsewhere) both lead to the loop's
    /// own snapshot, through spawns, steps, ends, removals and compactions of the records.
    @Test func deltasFromTheChangeLogAndFromAScanAgreeWithSnapshots() async throws {
        // Finished tasks dropped by count, not by age: nothing changes between two calls
        // without a step in between, however loaded the machine.
        let retention = RetentionPolicy(maxFinished: 50, maxAge: 3600)
        try await EventLoop.run(name: "log", retention: retention, reportLeftovers: { _ in }) {
            let loop = EventLoop.current!
            var rng = SystemRandomNumberGenerator()
            var fast = Snapshot(), slow = Snapshot()
            var fastVersion: UInt64 = 0, slowVersion: UInt64 = 0
            for round in 0..<60 {
                for _ in 0..<Int.random(in: 0...120, using: &rng) {
                    let pause = Double.random(in: 0...0.01, using: &rng)
                    try spawn { try await sleep(pause) }
                }
                try await sleep(Double.random(in: 0...0.004, using: &rng))
                let delta = loop.delta(since: fastVersion)
                fast = fast.applying(delta)
                fastVersion = delta.toVersion
                if round % 7 == 0 {
                    let other = loop.delta(since: slowVersion)
                    slow = slow.applying(other)
                    slowVersion = other.toVersion
                }
                // No step runs between these calls: the snapshot is of the same moment.
                let truth = loop.snapshot()
                #expect(fast.version == truth.version && fast.tasks == truth.tasks, "round \(round)")
                if round % 7 == 0 { #expect(slow.tasks == truth.tasks, "round \(round)") }
            }
            #expect(loop.snapshot().stats.totalSpawned > 1_500)
        }
    }

    /// A closed loop's records are gone, and so is the log of changed ones: a delta from
    /// the version the last one reached shows no task (it once read the freed records).
    @Test func aDeltaAfterCloseReadsNoFreedRecord() async throws {
        let loop = EventLoop(name: "closing")
        let version = try await loop.runUntilComplete { () -> UInt64 in
            for n in 0..<50 { try spawn(name: "t\(n)") { try await sleep(3600) } }
            try await sleep(0.01)
            let loop = EventLoop.current!
            // A delta from a delta's version: the registry logs what changes from there on.
            let version = loop.delta(since: loop.delta(since: 0).toVersion).toVersion
            // Changed after that delta: in the log when the loop closes.
            for n in 0..<50 { try spawn(name: "u\(n)") { try await sleep(3600) } }
            try await sleep(0.01)
            return version
        }
        try loop.close()
        let delta = loop.delta(since: version)
        #expect(delta.changed.isEmpty, "\(delta.changed.map(\.displayName))")
        #expect(loop.snapshot().tasks.isEmpty)
    }

    @Test func bareLoopsTrackNothingButRunTheSame() async throws {
        let result = try await EventLoop.run(instrumented: false, reportLeftovers: { _ in }) { () -> Int in
            let a = try spawn(name: "a") { () async throws -> Int in try await sleep(0.001); return 1 }
            let snapshot = EventLoop.current!.snapshot()
            #expect(snapshot.tasks.isEmpty)
            #expect(!snapshot.stats.instrumented)
            #expect(a.id != 0)
            return try await a.value + 1
        }
        #expect(result == 2)
    }
}

/// The runtime's id of the running task, read the way the loop reads it.
func currentTaskIDForTest() -> TaskID { currentTask()?.id ?? 0 }

/// A task's history is bounded: it keeps the first transitions and the latest, and counts
/// exactly the ones between that it drops.
@Suite struct TaskHistoryTests {
    @Test(.timeLimit(.minutes(2))) func aTickersHistoryKeepsItsFirstAndLatestStepsAndCountsTheRest() async throws {
        try await onLoop {
            let loop = EventLoop.current!
            let ticks = 3000
            // The loop's time once the first four sleeps are over: the first eight transitions
            // (four sleeps, four steps) are all before it.
            let afterFourSleeps = Recorder<Nanos>()
            let ticker = try spawn(name: "ticker") {
                for tick in 0..<ticks {
                    if tick == 4 { afterFourSleeps.add(loop.timeBase.now()) }
                    if tick % 2 == 0 { try await sleep(0.00001) } else { try await Task.sleep(for: .microseconds(10)) }
                }
            }
            // Halfway: every transition so far is kept or counted.
            while (info(ticker.id)?.steps ?? 0) < UInt64(ticks / 2) { try await sleep(0.001) }
            let midway = try #require(info(ticker.id))
            if case .suspended = midway.state {
                #expect(midway.history.count + midway.historyDropped == 2 * Int(midway.steps - 1))
            }
            _ = try await ticker.value
            let ended = try #require(loop.snapshot().task(ticker.id))
            #expect(ended.steps == UInt64(ticks + 1))
            // Each sleep, and each step after the first: 2 × 3000 transitions.
            #expect(ended.history.count + ended.historyDropped == 2 * ticks)
            #expect(ended.history.count == 32)
            #expect(ended.historyDroppedAfter == 8)
            #expect(ended.history.map(\.at) == ended.history.map(\.at).sorted())
            // Sleep, step, sleep, step...: the first ones and the latest ones.
            for (index, transition) in ended.history.enumerated() {
                #expect(transition.state == (index % 2 == 0 ? .suspended : .running), "\(index): \(transition)")
                if transition.state == .suspended {
                    #expect(transition.detail?.hasPrefix("sleep") == true, "\(index): \(transition)")
                }
            }
            let last = try #require(ended.history.last)
            #expect(last.at <= ended.finishedAt!)
            #expect(last.at >= midway.stateSince, "the latest steps are kept")
            #expect(ended.history[7].at <= afterFourSleeps.items.first ?? 0, "the first steps are kept")
            #expect(ended.history[8].at >= midway.stateSince, "the ones after them are the latest")
            #expect(ended.timeline.count == ended.history.count + 3)
        }
    }

    @Test func aShortTaskKeepsItsWholeHistory() async throws {
        try await onLoop {
            let task = try spawn(name: "three sleeps") {
                for _ in 0..<3 { try await sleep(0.0001) }
            }
            _ = try await task.value
            let ended = try #require(info(task.id))
            #expect(ended.historyDropped == 0 && ended.historyDroppedAfter == nil)
            #expect(ended.history.map(\.state) == [.suspended, .running, .suspended, .running, .suspended, .running])
            #expect(ended.timeline.map(\.state) == [.pending, .running] + ended.history.map(\.state) + [.done])
        }
    }
}

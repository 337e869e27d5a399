import AsyncTopModel
import Dispatch
import Foundation
import Synchronization
import Testing
import TmuxTestSupport
@testable import AsyncTopRuntime

/// Holds the loop thread for `nanos` (a step of known length; preemption only makes it longer).
private func spin(_ nanos: UInt64) {
    let end = DispatchTime.now().uptimeNanoseconds + nanos
    while DispatchTime.now().uptimeNanoseconds < end {}
}

/// A task that takes `steps` steps of `nanos` each (and a last, short one).
private func spinner(_ name: String, steps: Int, nanos: UInt64) throws -> TaskHandle<Void> {
    try spawn(name: name) {
        for _ in 0..<steps {
            spin(nanos)
            await Task.yield()
        }
    }
}

/// The loop's histograms, per-task histograms, one-second series and pool wait histograms,
/// on the real loop.
@Suite(.offCooperativePool) struct HistogramTests {
    @Test func theRuntimesBucketIndexIsTheModels() {
        var values: [Nanos] = Array(0...300) + [.max, .max - 1, 1 << 63, (1 << 63) - 1]
        for e in 5..<64 { values += [(1 << e) - 1, 1 << e, (1 << e) + 1, (1 << e) | (1 << (e - 1)) | 12345 & ((1 << e) - 1)] }
        var mismatches: [String] = []
        for precision in DurationHistogram.precisions {
            for v in values where bucketIndex(of: v, precision: precision) != DurationHistogram.bucketIndex(of: v, precision: precision) {
                mismatches.append("\(v) at precision \(precision)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    @Test func countsFromAnOffsetMakeTheSameHistogramAsCountsFromZero() {
        var state: UInt64 = 42
        for precision in DurationHistogram.precisions {
            for _ in 0..<20 {
                state = state &* 6_364_136_223_846_793_005 &+ 1
                let offset = Int(state >> 58)  // 0...63, and at most 40 buckets: within even precision 0's 65
                let counts: [UInt64] = (0..<min(Int((state >> 40) % 40), DurationHistogram.bucketCount(precision: precision) - offset)).map { i in (state >> UInt64(i % 32)) % 3 == 0 ? 0 : UInt64(i) }
                let all = [UInt64](repeating: 0, count: offset) + counts
                let top = all.lastIndex { $0 != 0 }.map { DurationHistogram.bucketRange($0, precision: precision).lower } ?? 0
                let generic = DurationHistogram(precision: precision, bucketCounts: all, sum: 1234, max: top)
                let fast = counts.withUnsafeBufferPointer {
                    DurationHistogram(precision: precision, offset: offset, counts: $0, sum: 1234, max: top)
                }
                #expect(fast == generic, "offset \(offset), counts \(counts)")
            }
        }
        // A task's coarse histogram: a value beyond its last bucket is placed at its maximum.
        let task = TaskHistograms()
        defer { task.deallocate() }
        task.recordStep(1_000)
        task.recordStep(10_000_000_000)
        let steps = task.steps(sum: 10_000_001_000, max: 10_000_000_000)
        #expect(steps.count == 2 && steps.max == 10_000_000_000)
        #expect(steps.percentile(1) == 10_000_000_000)
        #expect(steps.p50 <= 1_024)
    }

    @Test func theStepHistogramHoldsThreeKnownPopulations() async throws {
        let (stats, tasks) = try await onLoop { () -> (LoopStats, [String: TaskInfo]) in
            let short = try spinner("20us", steps: 300, nanos: 20_000)
            let medium = try spinner("200us", steps: 60, nanos: 200_000)
            let long = try spinner("2ms", steps: 10, nanos: 2_000_000)
            try await short.value
            try await medium.value
            try await long.value
            let snapshot = EventLoop.current!.snapshot()
            let byName = Dictionary(snapshot.tasks.compactMap { t in t.name.map { ($0, t) } }, uniquingKeysWith: { a, _ in a })
            return (snapshot.stats, byName)
        }
        let steps = try #require(stats.stepHistogram)
        #expect(steps.precision == 4)
        #expect(steps.count == stats.totalSteps, "every step is in the histogram")
        #expect(stats.busyTotal == steps.sum)
        // 370 long steps and a few short ones (each spinner's last, the main task's). Noise
        // only lengthens steps: lower bounds, with the histogram's 1/16 relative error.
        let known: UInt64 = 300 + 60 + 10
        #expect(steps.count >= known && steps.count <= known + 20)
        let others = steps.count - known
        #expect(steps.count - steps.cumulativeCount(atOrBelow: 18_000) >= known, "370 steps of 20 µs or more")
        #expect(steps.count - steps.cumulativeCount(atOrBelow: 180_000) >= 70, "70 steps of 200 µs or more")
        #expect(steps.count - steps.cumulativeCount(atOrBelow: 1_800_000) >= 10, "10 steps of 2 ms or more")
        // By rank: the short ones below the 20 µs, then 300 of 20 µs, 60 of 200 µs, 10 of 2 ms.
        func atRank(_ rank: UInt64) -> Double { Double(rank) / Double(steps.count) }
        #expect(steps.percentile(atRank(others + 150)) >= 18_750, "the middle of the 20 µs steps")
        #expect(steps.percentile(atRank(others + 330)) >= 187_500, "the middle of the 200 µs steps")
        #expect(steps.p99 >= 187_500)
        #expect(steps.percentile(atRank(others + 365)) >= 1_875_000, "the middle of the 2 ms steps")
        #expect(steps.max >= 2_000_000)
        #expect(steps.sum >= 300 * 20_000 + 60 * 200_000 + 10 * 2_000_000)

        // Each spinner's own coarse histogram: one value per step, at power-of-two precision.
        for (name, nanos) in [("20us", UInt64(20_000)), ("200us", 200_000), ("2ms", 2_000_000)] {
            let task = try #require(tasks[name])
            let own = try #require(task.stepHistogram, "\(name) took \(task.steps) steps")
            #expect(own.precision == 0)
            #expect(own.count == task.steps)
            #expect(own.sum == task.busy)
            #expect(own.p50 >= nanos / 2, "\(name): p50 \(own.p50)")
            #expect(own.max >= nanos - 16)
            #expect(task.latencyHistogram?.count == task.steps)
        }
    }

    @Test func latenciesAreRecordedAndTheLoopExecutorShowsThem() async throws {
        let snapshot = try await onLoop { () -> Snapshot in
            // The second task's first job waits behind the first's 2 ms step.
            let first = try spawn(name: "holder") { spin(2_000_000) }
            let second = try spawn(name: "waiter") { 1 }
            try await first.value
            _ = try await second.value
            return EventLoop.current!.snapshot()
        }
        let latency = try #require(snapshot.stats.latencyHistogram)
        #expect(latency.count == snapshot.stats.totalSteps)
        #expect(latency.max >= 2_000_000, "the waiter's job waited behind the holder: \(latency.max) ns")
        let waiter = try #require(snapshot.tasks.first { $0.name == "waiter" })
        #expect(waiter.maxLatency >= 1_999_000)
        let loopExecutor = try #require(snapshot.executors.first { $0.kind == .loop })
        #expect(loopExecutor.waitHistogram == latency)
    }

    @Test func aTaskHasItsHistogramsFromItsSecondStepOn() async throws {
        let tasks = try await onLoop { () -> [TaskInfo] in
            let once = try spawn(name: "once") { 1 }
            let twice = try spawn(name: "twice") { await Task.yield(); return 2 }
            let often = try spawn(name: "often") { for _ in 0..<5 { await Task.yield() }; return 3 }
            _ = try await once.value + twice.value + often.value
            return EventLoop.current!.snapshot().tasks
        }
        let once = try #require(tasks.first { $0.name == "once" })
        #expect(once.steps == 1)
        #expect(once.stepHistogram == nil)
        #expect(once.latencyHistogram == nil)
        for name in ["twice", "often"] {
            let task = try #require(tasks.first { $0.name == name })
            #expect(task.steps >= 2)
            #expect(task.stepHistogram?.count == task.steps, "\(name)")
            #expect(task.latencyHistogram?.count == task.steps, "\(name)")
            #expect(task.stepHistogram?.max == task.maxStep)
        }
    }

    @Test func theSeriesHasASampleASecondAndAQuietLoopIsNotWoken() async throws {
        let gate = Gate()
        let (snapshot, wakeups, second) = try await onLoop { () -> (Snapshot, UInt64, Double) in
            let loop = EventLoop.current!
            // Loop time is the process's: the activity starts just after a whole second, so
            // that one sample holds all of it.
            let second = (loop.time() + 0.02).rounded(.up)
            try await sleep(second - loop.time() + 0.001)
            // A third of a second of activity, then nearly two seconds of nothing at all: no
            // timer, no job; a thread resumes the task at the end.
            for _ in 0..<30 { try await sleep(0.01) }
            let before = loop.stats.wakeups
            await withCheckedContinuation { (resume: CheckedContinuation<Void, Never>) in
                Thread.detachNewThread {
                    Thread.sleep(forTimeInterval: second + 2.05 - loop.time())
                    resume.resume()
                    gate.open()
                }
            }
            let wakeups = loop.stats.wakeups - before
            return (loop.snapshot(), wakeups, second)
        }
        gate.pass()
        #expect(wakeups == 1, "the loop woke \(wakeups) times while nothing happened")
        let stats = snapshot.stats
        let samples = try #require(stats.series).samples
        #expect(samples.count >= 2)
        // One a second of loop time, back to back, none in the future.
        for (a, b) in zip(samples, samples.dropFirst()) { #expect(b.at - a.at == 1_000_000_000) }
        #expect(samples.allSatisfy { $0.at % 1_000_000_000 == 0 && $0.at <= snapshot.takenAt })
        #expect(samples.allSatisfy { (0...1).contains($0.busy) })
        #expect(samples.reduce(0) { $0 + $1.steps } <= stats.totalSteps)
        #expect(samples.reduce(0) { $0 + $1.spawned } <= stats.totalSpawned)
        // The second after `second` holds the activity; a later one, slept through, none of
        // it, and the counts of the moment the loop noticed.
        let first = try #require(samples.first { $0.at == UInt64(second + 1) * 1_000_000_000 })
        #expect(first.steps >= 30)
        #expect(first.busy > 0)
        let quiet = try #require(samples.first { $0.at > first.at && $0.steps == 0 })
        #expect(quiet.spawned == 0 && quiet.busy == 0 && quiet.lagP99 == 0 && quiet.readyQueueDepth == 0)
        #expect(quiet.tasksByState == first.tasksByState)
        #expect(quiet.live >= 1, "the main task")
    }

    @Test func aDeltaCarriesTheSeriesLastTenSeconds() async throws {
        let loop = EventLoop(name: "delta-series")
        try await loop.runUntilComplete { try await sleep(0.01) }
        defer { try? loop.close() }
        // A loop not running builds it on the caller's thread, and takes its samples then;
        // the two in one second of the loop's clock (a sample is taken at each second's turn).
        var snapshot = loop.snapshot()
        var partial = loop.delta(since: snapshot.version)
        for _ in 0..<10 where partial.takenAt / 1_000_000_000 != snapshot.takenAt / 1_000_000_000 {
            snapshot = loop.snapshot()
            partial = loop.delta(since: snapshot.version)
        }
        #expect(snapshot.stats.series != nil)
        #expect(partial.isFull == false)
        #expect(partial.stats.series == snapshot.stats.series?.suffix(seconds: SnapshotDelta.seriesSeconds))
    }

    @Test func aThreadPoolRecordsHowLongCallsWaited() async throws {
        let pool = try ThreadPoolExecutor(maxWorkers: 1, name: "hist-pool")
        let waits = try await onLoop { () -> DurationHistogram? in
            let calls = try (0..<4).map { i in
                try spawn(name: "call-\(i)") { _ = try await runInExecutor(pool) { usleep(5_000) } }
            }
            for call in calls { try await call.value }
            return EventLoop.current!.snapshot().executors.first { $0.name == "hist-pool" }?.waitHistogram
        }
        pool.shutdown()
        let histogram = try #require(waits)
        #expect(histogram.count == 4)
        // One worker: the last call waited for the three before it.
        #expect(histogram.max >= 14_000_000, "\(histogram.max) ns")
    }

    @Test func snapshotsFromOtherThreadsAgreeWithThemselves() async throws {
        let loop = EventLoop(name: "hist-stress")
        let stop = Atomic<Bool>(false)
        let problems = Mutex<[String]>([])
        let taken = Atomic<Int>(0)
        let finished = DispatchSemaphore(value: 0)
        let go = DispatchSemaphore(value: 0)
        for _ in 0..<2 {
            Thread.detachNewThread {
                defer { finished.signal() }
                go.wait()
                for _ in 0..<300 where !stop.load(ordering: .relaxed) {
                    let s = loop.snapshot(timeout: 1)
                    taken.add(1, ordering: .relaxed)
                    var found: [String] = []
                    if let steps = s.stats.stepHistogram {
                        if steps.count != s.stats.totalSteps { found.append("steps \(steps.count) vs \(s.stats.totalSteps)") }
                        if s.stats.busyTotal != steps.sum { found.append("busy \(s.stats.busyTotal ?? 0) vs \(steps.sum)") }
                    }
                    if let latency = s.stats.latencyHistogram, latency.count != s.stats.totalSteps {
                        found.append("latencies \(latency.count) vs \(s.stats.totalSteps)")
                    }
                    for task in s.tasks {
                        if let own = task.stepHistogram, own.count != task.steps || own.sum != task.busy {
                            found.append("task \(task.id): \(own.count) steps in its histogram, \(task.steps) counted")
                        }
                        if task.steps >= 2, task.state.kind != .running, task.stepHistogram == nil {
                            found.append("task \(task.id) took \(task.steps) steps and has no histogram")
                        }
                    }
                    if !found.isEmpty { problems.withLock { $0 += found } }
                }
            }
        }
        let ran = try await loop.runUntilComplete { () -> Int in
            go.signal()
            go.signal()
            var handles: [TaskHandle<Int>] = []
            for i in 0..<20 {
                handles.append(try spawn(name: "worker-\(i)") {
                    var n = 0
                    for _ in 0..<(50 + i * 5) { await Task.yield(); n += 1 }
                    return n
                })
            }
            var total = 0
            for handle in handles { total += try await handle.value }
            // Keep going while the readers read, for at most half a second.
            let until = EventLoop.current!.time() + 0.5
            while taken.load(ordering: .relaxed) < 600 && EventLoop.current!.time() < until {
                _ = try await spawn { await Task.yield() }.value
            }
            stop.store(true, ordering: .relaxed)
            return total
        }
        finished.wait()
        finished.wait()
        try? loop.close()
        #expect(ran == (0..<20).reduce(0) { $0 + 50 + $1 * 5 })
        #expect(taken.load(ordering: .relaxed) > 0)
        #expect(problems.withLock { $0 }.isEmpty, "\(problems.withLock { $0.prefix(5) })")
    }

    @Test func anUninstrumentedLoopHasNoHistograms() async throws {
        let loop = EventLoop(name: "bare", instrumented: false)
        let stats = try await loop.runUntilComplete { () -> LoopStats in
            await Task.yield()
            return EventLoop.current!.snapshot().stats
        }
        try? loop.close()
        #expect(stats.stepHistogram == nil && stats.latencyHistogram == nil && stats.series == nil)
    }
}

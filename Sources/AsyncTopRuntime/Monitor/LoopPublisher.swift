import AsyncTopModel
import CAsyncTopSupport
import Synchronization

/// The one source of a loop's pictures for everyone in the process who watches it: the
/// dashboard, the monitor's clients, recordings and the headless tracer.
///
/// A picture is made from the changes since the previous one: the loop builds a delta of
/// the records that changed (its registry keeps their list for this one consumer) and the
/// picture is patched here, off the loop. However many watch, and however they are timed,
/// the loop is asked at most once per `maxAge` (the most eager watcher's), and one request
/// at a time: callers that come while a request is out wait for it and share it. Pictures
/// are immutable values; a watcher keeps its own.
///
/// A loop stuck in a long step does not answer; the request is abandoned (the loop builds
/// nothing for it when it returns) and the last picture is handed out again, with the
/// stuck task and since when in its counters, so the stuck step shows.
final class LoopPublisher: Sendable {
    struct Publication: Sendable {
        var current: Snapshot
        /// The delta that led to `current`: from the previous publication's version.
        var last: SnapshotDelta
        /// When it was made (monotonic nanoseconds).
        var at: UInt64
    }

    private let publication = Mutex<Publication?>(nil)
    /// Held while a picture is being made: one request to the loop at a time. It counts
    /// the pictures made (a `Void` here is taken by ThreadSanitizer for a shared location).
    private let making = Mutex<Int>(0)

    /// The latest publication, made now if the last is older than `maxAge` seconds.
    func refresh(_ loop: EventLoop, maxAge: Double, timeout: Double) -> Publication {
        let limit = UInt64(max(maxAge, 0) * 1e9)
        if let fresh = recent(limit) { return fresh }
        if loop.isOnLoopThread {
            // The loop itself must not wait for a watcher that waits for the loop: it makes
            // the picture now if no one else is, or hands out the latest.
            if let made = making.withLockIfAvailable({ pictures in make(loop, limit: limit, timeout: timeout, &pictures) }) {
                return made
            }
            if let latest = publication.withLock({ $0 }) { return latest }
            let exact = loop.snapshot()
            return Publication(current: exact, last: .full(exact), at: asynctop_monotonic_ns())
        }
        return making.withLock { pictures in make(loop, limit: limit, timeout: timeout, &pictures) }
    }

    /// Makes a picture, with `making` held (`pictures` counts them).
    private func make(_ loop: EventLoop, limit: UInt64, timeout: Double, _ pictures: inout Int) -> Publication {
        // Someone else may have made one while this caller waited.
        if let fresh = recent(limit) { return fresh }
        let held = publication.withLock { $0 }
        let base = held?.current ?? Snapshot(epoch: loop.timeBase.epoch, loopName: loop.name)
        let made: Publication
        if let delta = loop.answeredDelta(since: held == nil ? 0 : base.version, timeout: timeout) {
            made = Publication(current: base.applying(delta), last: delta, at: asynctop_monotonic_ns())
        } else {
            // Stuck: the same tasks, the counters saying which one runs and since when.
            var stats = base.stats
            let running = loop.currentTaskID.load(ordering: .relaxed)
            stats.currentTask = running == 0 ? nil : running
            stats.currentStepSince = running == 0 ? nil : loop.currentStepStart.load(ordering: .relaxed)
            let now = loop.timeBase.now()
            let same = SnapshotDelta(fromVersion: base.version, toVersion: base.version, takenAt: now, isFull: held == nil,
                                     changed: held == nil ? base.tasks : [], removed: [], stats: stats,
                                     executors: base.executors, resources: base.resources)
            made = Publication(current: base.applying(same), last: same, at: asynctop_monotonic_ns())
        }
        publication.withLock { $0 = made }
        pictures += 1
        return made
    }

    private func recent(_ limit: UInt64) -> Publication? {
        publication.withLock { held in
            guard let held, asynctop_monotonic_ns() &- held.at <= limit else { return nil }
            return held
        }
    }
}

extension EventLoop {
    /// The loop's latest picture, at most `maxAge` seconds old: shared with everyone else
    /// who watches this loop (the loop is asked for the changes since the last picture at
    /// most once per `maxAge`, and the picture is patched off the loop). Safe from any
    /// thread. A loop stuck in a long step for more than `timeout` gives its last picture,
    /// with the stuck task in its counters.
    public func published(maxAge: Double = 0.1, timeout: Double = 0.25) -> Snapshot {
        publisher.refresh(self, maxAge: maxAge, timeout: timeout).current
    }

    /// What changed since `held` (a picture of this loop you keep) and the picture now, as
    /// ``published(maxAge:timeout:)`` makes it: the delta the loop gave when `held` is the
    /// picture before the latest, else one computed here from `held` (a watcher that
    /// skipped some gets them coalesced).
    public func published(after held: Snapshot, maxAge: Double = 0.1, timeout: Double = 0.25) -> (delta: SnapshotDelta, current: Snapshot) {
        let made = publisher.refresh(self, maxAge: maxAge, timeout: timeout)
        let current = made.current
        if held.version == current.version {
            // Nothing changed since what is held but the counters.
            return (SnapshotDelta(fromVersion: held.version, toVersion: current.version, takenAt: current.takenAt, isFull: false,
                                  changed: [], removed: [], stats: current.stats.withSeriesSuffix(seconds: SnapshotDelta.seriesSeconds),
                                  executors: current.executors, resources: current.resources), current)
        }
        // A full delta replaces whatever is held; a partial one leads from its version.
        if made.last.fromVersion == held.version || made.last.isFull { return (made.last, current) }
        return (SnapshotDelta.between(held, current), current)
    }

    /// A delta since `version` built by the loop, or nil when it did not answer within
    /// `timeout` (a long step): then nothing is built for it later either.
    func answeredDelta(since version: UInt64, timeout: Double) -> SnapshotDelta? {
        if isOnLoopThread { return buildDelta(since: version) }
        return build(timeout: timeout) { $0.buildDelta(since: version) }
    }
}

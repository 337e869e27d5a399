import AsyncTopModel
import AsyncTopTUI
import Foundation
import Synchronization

/// A recording played back as a snapshot source: time runs at `speed` from the start.
///
/// The header's phase shows the position ("replay 12.3s/60.0s ×1").
final class ReplaySource: SnapshotSource {
    let recording: Recording
    private let clock = Mutex<(origin: ContinuousClock.Instant, offset: Double, speed: Double)>((ContinuousClock.now, 0, 1))

    init(recording: Recording, speed: Double) {
        self.recording = recording
        clock.withLock { $0.speed = speed }
    }

    /// Seconds into the recording now.
    var position: Double {
        clock.withLock { state in
            let elapsed = ContinuousClock.now - state.origin
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return min(state.offset + seconds * state.speed, recording.duration)
        }
    }

    func snapshot() -> Snapshot {
        let t = position
        var snapshot = recording.snapshot(at: recording.frame(atOrBefore: t))
        let speed = clock.withLock { $0.speed }
        snapshot.stats.phase = String(format: "replay %.1fs/%.1fs ×%g", t, recording.duration, speed)
        return snapshot
    }

    func cancel(task: TaskID, message: String?) {}

    func launchDemo(named: String) {}
}

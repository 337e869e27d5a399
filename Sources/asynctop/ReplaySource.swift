import AsyncTopModel
import AsyncTopTUI
import Foundation
import Synchronization

/// A recording played back as a snapshot source, with its own clock: `p` pauses, `[` and
/// `]` seek 5 s back and forth, `,` and `.` step one frame (pausing), `<` and `>` halve
/// and double the speed.
///
/// The header's phase shows the position ("replay 12.3s/60.0s ×1 · frame 123/600").
final class ReplaySource: SnapshotSource {
    let recording: Recording

    struct Clock {
        var origin = ContinuousClock.now
        var offset = 0.0
        var speed = 1.0
        var paused = false
    }

    private let clock = Mutex(Clock())

    init(recording: Recording, speed: Double) {
        self.recording = recording
        clock.withLock { $0.speed = speed }
    }

    private func position(_ state: Clock) -> Double {
        guard !state.paused else { return state.offset }
        let elapsed = ContinuousClock.now - state.origin
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return min(state.offset + seconds * state.speed, recording.duration)
    }

    /// Seconds into the recording now.
    var position: Double { clock.withLock { position($0) } }

    func snapshot() -> Snapshot {
        let (t, speed, paused) = clock.withLock { (position($0), $0.speed, $0.paused) }
        let frame = recording.frame(atOrBefore: t)
        var snapshot = recording.snapshot(at: frame)
        snapshot.stats.phase = String(format: "replay %.1fs/%.1fs ×%g", t, recording.duration, speed)
            + (paused ? " paused" : "") + " · frame \(frame + 1)/\(recording.frameCount)"
            + (recording.stoppedAtLine.map { " · file stopped at line \($0)" } ?? "")
        return snapshot
    }

    func handle(key: Key) -> Bool {
        guard case .character(let c) = key else { return false }
        clock.withLock { state in
            let now = position(state)
            func jump(to t: Double) {
                state.offset = min(max(t, 0), recording.duration)
                state.origin = ContinuousClock.now
            }
            switch c {
            case "p":
                jump(to: now)
                state.paused.toggle()
            case "]": jump(to: now + 5)
            case "[": jump(to: now - 5)
            case ".", ",":
                let frame = recording.frame(atOrBefore: now) + (c == "." ? 1 : -1)
                state.paused = true
                if recording.frameCount > 0 { jump(to: recording.times[min(max(frame, 0), recording.frameCount - 1)]) }
            case ">":
                jump(to: now)
                state.speed = min(state.speed * 2, 64)
            case "<":
                jump(to: now)
                state.speed = max(state.speed / 2, 1.0 / 64)
            default: return
            }
        }
        return "p][.,<>".contains(c)
    }

    func cancel(task: TaskID, message: String?, answer: @escaping @Sendable (CancelAnswer) -> Void) {
        answer(.unsupported)
    }

    var canCancel: Bool { false }

    /// A replay shows the stacks the recording sampled, nothing it could capture now.
    var missingStackNote: String? {
        "none recorded at this moment (recordings keep the stacks of tasks suspended 0.1 s or more)"
    }
    var canLaunchDemos: Bool { false }

    func launchDemo(named: String) {}
}

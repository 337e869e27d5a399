import AsyncTopModel
import AsyncTopTUI
import Foundation
import Synchronization

/// An in-memory snapshot source: a task tree in every state that moves on as time passes.
///
/// Commands show up in the data, so a test can see them on screen: a cancelled task's
/// name gains "[cancel: message]" and it ends cancelled; a launched demo appears as a
/// task named "demo <name>".
final class FakeSource: SnapshotSource {
    private struct State {
        var tasks: [TaskInfo]
        var version: UInt64 = 1
        var pulls: UInt64 = 0
    }

    private let state: Mutex<State>
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    /// How long a cancel's answer takes, from another thread (as an attached program's
    /// would); nil: at once, on the caller's thread.
    private let answerDelay: Duration?
    /// false: a source like a replay, which cancels nothing and launches nothing.
    let canCancel: Bool
    /// false: snapshots without series and histograms, as from an older program.
    let series: Bool
    var canLaunchDemos: Bool { canCancel }

    /// - Parameters:
    ///   - taskCount: nil for the hand-made tree; a number for that many generated tasks.
    ///   - answerDelay: how long cancels take to answer (from another thread); nil: at once.
    ///   - commands: false for a source that cannot cancel or launch (like a replay).
    ///   - series: false for snapshots without series and histograms (an older program's).
    init(taskCount: Int?, answerDelay: Duration? = nil, commands: Bool = true, series: Bool = true) {
        self.answerDelay = answerDelay
        canCancel = commands
        self.series = series
        start = clock.now
        state = Mutex(State(tasks: taskCount.map(FakeTasks.generated) ?? FakeTasks.tree(histograms: series)))
    }

    func snapshot() -> Snapshot {
        let now = Nanos((clock.now - start).components.seconds) * 1_000_000_000
            + Nanos((clock.now - start).components.attoseconds / 1_000_000_000)
        return state.withLock { state in
            state.pulls += 1
            state.version += 1
            for i in state.tasks.indices where state.tasks[i].state.kind == .running {
                let task = state.tasks[i]
                state.tasks[i] = task.with(steps: task.steps + 1, busy: task.busy + 50_000, version: state.version)
            }
            return Snapshot(version: state.version, takenAt: now, loopName: "fixture",
                            stats: FakeTasks.stats(state.tasks, pulls: state.pulls, now: now, series: series), tasks: state.tasks,
                            executors: FakeTasks.executors)
        }
    }

    func cancel(task id: TaskID, message: String?, answer: @escaping @Sendable (CancelAnswer) -> Void) {
        guard canCancel else { return answer(.unsupported) }
        guard let answerDelay else { return answer(cancel(task: id, message: message)) }
        Thread {
            Thread.sleep(forTimeInterval: Double(answerDelay.components.seconds)
                         + Double(answerDelay.components.attoseconds) / 1e18)
            answer(self.cancel(task: id, message: message))
        }.start()
    }

    private func cancel(task id: TaskID, message: String?) -> CancelAnswer {
        state.withLock { state in
            guard let i = state.tasks.firstIndex(where: { $0.id == id }) else { return .notFound }
            let task = state.tasks[i]
            state.tasks[i] = task.with(
                name: task.displayName + " [cancel: \(message ?? "no message")]", state: .cancelled(message: message),
                cancel: CancelInfo(requestedBy: .dashboard, message: message, requestedAt: task.createdAt,
                                   outcome: .cancelled))
            return .requested
        }
    }

    func launchDemo(named name: String) {
        state.withLock { state in
            let id = (state.tasks.last?.id ?? 0) + 1
            state.tasks.append(TaskInfo(id: id, name: "demo \(name)", state: .running))
        }
    }
}

/// A problem a snapshot shows: what kind, which tasks, in a sentence.
public struct Lint: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        /// A step held the loop longer than the threshold (`TaskInfo.maxStep`).
        case longStep = "long-step"
        /// Tasks that can only wake one another (a cycle of the wait-for graph).
        case deadlock
    }

    public var kind: Kind
    public var tasks: [TaskID]
    public var message: String

    public init(kind: Kind, tasks: [TaskID], message: String) {
        self.kind = kind
        self.tasks = tasks
        self.message = message
    }
}

/// The limits the lints use.
public struct LintThresholds: Hashable, Sendable {
    /// A step longer than this held the loop too long.
    public var longStep: Nanos

    public init(longStep: Nanos = 100_000_000) { self.longStep = longStep }
}

/// Pure checks over a snapshot: asyncio's debug-mode "slow callback" warning and a deadlock
/// finder.
public enum Lints {
    /// The lints `snapshot` shows: long steps in task id order, then each deadlock.
    public static func evaluate(_ snapshot: Snapshot, _ thresholds: LintThresholds = LintThresholds()) -> [Lint] {
        var lints: [Lint] = []
        for task in snapshot.tasks where task.maxStep > thresholds.longStep {
            lints.append(Lint(kind: .longStep, tasks: [task.id],
                              message: "\(task.displayName) (\(task.id)) held the loop for \(formatDuration(task.maxStep)) in one step"))
        }
        for cycle in WaitForGraph(snapshot).deadlockedTasks {
            let names = cycle.map { id in snapshot.task(id).map { "\($0.displayName) (\(id))" } ?? "task \(id)" }
            lints.append(Lint(kind: .deadlock, tasks: cycle, message: "deadlock: \(names.joined(separator: " → ")) wait on one another"))
        }
        return lints
    }
}

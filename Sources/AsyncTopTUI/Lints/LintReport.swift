import AsyncTopModel

/// The lints of one snapshot, evaluated once, with the lints of each task at hand: what the
/// lints pane, the task table's marks, the details and the header's count read.
///
/// A runner keeps one and passes each new snapshot to ``updating(to:thresholds:)``, which
/// evaluates again only for a different snapshot: another version, or the same version
/// taken later (two lints, an unacknowledged cancel and an unretrieved error, grow with the
/// clock alone). Frames and keys never evaluate. On a snapshot of ``largeSnapshot`` tasks or
/// more, an evaluation that took over a millisecond is not repeated before ``spacing`` times
/// its cost has passed, so that lints take a few percent of a core at most: with 100,000
/// tasks they are five snapshots a second behind instead of ten. Smaller snapshots are always
/// evaluated afresh (a cold first evaluation can take a millisecond on a busy machine).
public struct LintReport: Sendable {
    /// How many times its own cost a costly evaluation waits before the next.
    public static let spacing: Int64 = 40
    /// From this many tasks on, a costly evaluation is spaced out.
    public static let largeSnapshot = 10_000
    /// In the order ``Lints/evaluate(_:_:)`` gives them.
    public let lints: [Lint]
    public let thresholds: LintThresholds
    private let version: UInt64
    private let takenAt: Nanos
    /// Indices into `lints` of the lints naming each task.
    private let byTask: [TaskID: [Int]]
    /// The index of each ``Lint/id`` (a computed string: looked up every frame, built once).
    private let byID: [String: Int]
    /// When it was evaluated, and how long that took.
    private let evaluatedAt: ContinuousClock.Instant
    private let cost: Duration
    private let taskCount: Int

    /// Evaluates the lints of `snapshot`.
    public init(snapshot: Snapshot, thresholds: LintThresholds) {
        let clock = ContinuousClock()
        let start = clock.now
        let lints = Lints.evaluate(snapshot, thresholds)
        var byTask: [TaskID: [Int]] = [:], byID: [String: Int] = [:]
        for (index, lint) in lints.enumerated() {
            for task in Set(lint.tasks) { byTask[task, default: []].append(index) }
            if byID[lint.id] == nil { byID[lint.id] = index }
        }
        self.lints = lints
        self.thresholds = thresholds
        version = snapshot.version
        takenAt = snapshot.takenAt
        self.byTask = byTask
        self.byID = byID
        evaluatedAt = start
        cost = clock.now - start
        taskCount = snapshot.tasks.count
    }

    /// This report when it is already of `snapshot` with `thresholds`, or when its costly
    /// evaluation is too recent to repeat; else a new one.
    public func updating(to snapshot: Snapshot, thresholds: LintThresholds) -> LintReport {
        guard thresholds == self.thresholds else { return LintReport(snapshot: snapshot, thresholds: thresholds) }
        if snapshot.version == version && snapshot.takenAt == takenAt { return self }
        if taskCount >= Self.largeSnapshot && cost > .milliseconds(1)
            && ContinuousClock.now - evaluatedAt < cost * Self.spacing { return self }
        return LintReport(snapshot: snapshot, thresholds: thresholds)
    }

    public var isEmpty: Bool { lints.isEmpty }
    public var count: Int { lints.count }

    /// The lints naming a task, in report order.
    public func lints(of task: TaskID) -> [Lint] { (byTask[task] ?? []).map { lints[$0] } }

    /// The worst severity among the lints naming a task; nil when none does.
    func severity(of task: TaskID) -> LintSeverity? {
        byTask[task]?.map { lints[$0].kind.severity }.max()
    }

    /// The worst severity of all; nil without lints.
    var severity: LintSeverity? { lints.map(\.kind.severity).max() }

    /// The index of the lint with this ``Lint/id``.
    func index(of id: String) -> Int? { byID[id] }
}

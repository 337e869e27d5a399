import Testing
import AsyncTopModel
@testable import AsyncTopTUI

@Suite struct LintReportTests {
    @Test func lintsAreFoundByTaskWithTheWorstSeverity() {
        let report = LintReport(snapshot: Fixtures.withLints(), thresholds: LintThresholds())
        #expect(report.lints.map(\.kind) == [.longStep, .errorNeverRetrieved, .orphanedWork, .deadlock])
        #expect(report.lints(of: 2).map(\.kind) == [.longStep, .orphanedWork])
        #expect(report.lints(of: 7).map(\.kind) == [.deadlock])
        #expect(report.lints(of: 4).isEmpty)
        #expect(report.severity(of: 2) == .warning)
        #expect(report.severity(of: 3) == .error)
        #expect(report.severity(of: 1) == nil)
        #expect(report.severity == .error)
    }

    @Test func evaluatedAgainOnlyForAnotherSnapshotOrOtherThresholds() {
        let thresholds = LintThresholds()
        let report = LintReport(snapshot: Fixtures.withLints(version: 1), thresholds: thresholds)
        // The same version taken at the same time is the same snapshot: kept, not evaluated
        // (this one's tasks were changed behind the version's back to show it).
        var same = Fixtures.withLints(version: 1)
        same.tasks.removeAll { $0.id == 2 }
        #expect(report.updating(to: same, thresholds: thresholds).count == 4)
        #expect(report.updating(to: Fixtures.small(version: 2), thresholds: thresholds).count == 1)
        var later = same
        later.takenAt += 1
        // Without fetch (2), its long step goes, and so does the orphaned work it awaited.
        #expect(report.updating(to: later, thresholds: thresholds).count == 2)
        let lenient = LintThresholds(longStep: 1_000_000_000)
        #expect(report.updating(to: Fixtures.withLints(version: 1), thresholds: lenient).count == 3)
    }

    @Test func aCostlyEvaluationIsNotRepeatedAtOnce() {
        // 100,000 tasks take well over a millisecond to check (some 50 in a debug build).
        let tasks = (1...100_000).map { TaskInfo(id: TaskID($0), name: "t\($0)", maxStep: $0 == 7 ? 200_000_000 : 0) }
        var snapshot = Snapshot(version: 1, tasks: tasks)
        let report = LintReport(snapshot: snapshot, thresholds: LintThresholds())
        #expect(report.count == 1)
        snapshot.version = 2
        snapshot.tasks[8] = TaskInfo(id: 9, name: "t9", maxStep: 300_000_000)
        // Too soon after the last: the same lints, a snapshot behind.
        #expect(report.updating(to: snapshot, thresholds: LintThresholds()).count == 1)
        // Other thresholds always evaluate again.
        #expect(report.updating(to: snapshot, thresholds: LintThresholds(longStep: 50_000_000)).count == 2)
    }
}

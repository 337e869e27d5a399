import Testing
import AsyncTopModel

@Suite struct LintsTests {
    @Test func aStepOverTheThresholdIsALongStep() {
        let slow = TaskInfo(id: 1, name: "slow", maxStep: 150_000_000)
        let quick = TaskInfo(id: 2, name: "quick", maxStep: 99_000_000)
        let lints = Lints.evaluate(Snapshot(tasks: [slow, quick]))
        #expect(lints.map(\.kind) == [.longStep])
        #expect(lints.first?.tasks == [1])
        #expect(Lints.evaluate(Snapshot(tasks: [slow]), LintThresholds(longStep: 200_000_000)).isEmpty)
    }

    @Test func twoTasksAwaitingEachOtherAreADeadlock() {
        let a = TaskInfo(id: 1, name: "a", state: .suspended(.task(2)))
        let b = TaskInfo(id: 2, name: "b", state: .suspended(.task(1)))
        let lints = Lints.evaluate(Snapshot(tasks: [a, b]))
        #expect(lints.map(\.kind) == [.deadlock])
        #expect(Set(lints[0].tasks) == [1, 2])
        #expect(lints[0].message.contains("a (1)") && lints[0].message.contains("b (2)"))
    }
}

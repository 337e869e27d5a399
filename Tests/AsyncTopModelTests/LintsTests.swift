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

    static let second: Nanos = 1_000_000_000

    @Test func aReadWaitingPastTheThresholdWithNoTimeoutAroundIt() {
        let read = TaskState.suspended(.resource(kind: "read", id: 40, name: "127.0.0.1:6379 (fd 9)"))
        let stuck = TaskInfo(id: 1, name: "client", state: read, stateSince: 0)
        let recent = TaskInfo(id: 2, name: "recent", state: read, stateSince: 9 * Self.second)
        let timed = TaskInfo(id: 3, name: "timed", state: read, stateSince: 0, deadline: 30 * Self.second)
        // A group child of a task a time-out bounds is bounded too; a task it merely spawned is not.
        let bounded = TaskInfo(id: 4, name: "bounded", state: .suspended(.children(count: 1)), deadline: 30 * Self.second)
        let child = TaskInfo(id: 5, parentID: 4, name: "child", origin: .groupChild, state: read, stateSince: 0)
        let spawned = TaskInfo(id: 6, parentID: 4, name: "spawned", origin: .spawned, state: read, stateSince: 0)
        let locked = TaskInfo(id: 7, name: "locked", state: .suspended(.resource(kind: "Lock", id: 41, name: nil)), stateSince: 0)
        let snapshot = Snapshot(takenAt: 12 * Self.second, tasks: [stuck, recent, timed, bounded, child, spawned, locked])
        let lints = Lints.evaluate(snapshot)
        #expect(lints.map(\.kind) == [.readWithoutTimeout, .readWithoutTimeout])
        #expect(lints.map(\.tasks) == [[1], [6]])
        #expect(lints[0].message == "client (1) has waited 12.0s in read on 127.0.0.1:6379 (fd 9) with no timeout around it")
        #expect(lints[0].resources == [40] && lints[0].since == 0)
        #expect(Lints.evaluate(snapshot, LintThresholds(ioRead: 20 * Self.second)).isEmpty)
        #expect(Lints.evaluate(snapshot, LintThresholds(ioRead: 2 * Self.second)).count == 3)
    }

    @Test func aCancelNotSeenAfterTheThresholdIsNotAcknowledged() {
        let asked = CancelInfo(requestedBy: .task(9), message: nil, requestedAt: 1 * Self.second)
        let spinning = TaskInfo(id: 1, name: "spin", state: .running, cancel: asked)
        var seen = asked
        seen.deliveredAt = asked.requestedAt + 1_000_000
        seen.deliveredIn = "sleep"
        let prompt = TaskInfo(id: 2, name: "prompt", state: .running, cancel: seen)
        // 0.9 s after the request: not yet; 2.5 s after: the spinning one only.
        #expect(Lints.evaluate(Snapshot(takenAt: 1_900_000_000, tasks: [spinning, prompt])).isEmpty)
        let late = Lints.evaluate(Snapshot(takenAt: 3_500_000_000, tasks: [spinning, prompt]))
        #expect(late.map(\.kind) == [.cancelNotAcknowledged])
        #expect(late[0].tasks == [1])
        #expect(late[0].message.contains("has not acknowledged") && late[0].message.contains("asked by task 9"))
        // A shorter threshold catches it sooner.
        #expect(Lints.evaluate(Snapshot(takenAt: 1_600_000_000, tasks: [spinning]),
                               LintThresholds(cancelAcknowledge: 500_000_000)).map(\.kind) == [.cancelNotAcknowledged])
    }

    @Test func aCancelledTaskThatReturnedSwallowedIt() {
        var info = CancelInfo(requestedBy: .dashboard, message: nil, requestedAt: 0, deliveredAt: 10, deliveredIn: "sleep")
        info.outcome = .swallowed
        let carriedOn = TaskInfo(id: 1, name: "catcher", state: .done(result: nil), cancel: info, finishedAt: 20)
        info.outcome = .cancelled
        let stopped = TaskInfo(id: 2, name: "stopped", state: .cancelled(message: nil), cancel: info, finishedAt: 20)
        let lints = Lints.evaluate(Snapshot(takenAt: 30, tasks: [carriedOn, stopped]))
        #expect(lints.map(\.kind) == [.cancelSwallowed])
        #expect(lints[0].message.contains("caught it in sleep"))
    }

    @Test func aFailedTaskNoOneRetrievedIsFlaggedAfterTheThreshold() {
        let forgotten = TaskInfo(id: 1, name: "forgotten", state: .failed(error: "boom"), finishedAt: 0)
        let awaited = TaskInfo(id: 2, name: "awaited", state: .failed(error: "boom"), finishedAt: 0, retrievedAt: 5)
        let native = TaskInfo(id: 3, name: nil, origin: .groupChild, state: .failed(error: "boom"), finishedAt: 0)
        #expect(Lints.evaluate(Snapshot(takenAt: Self.second / 2, tasks: [forgotten, awaited, native])).isEmpty)
        let lints = Lints.evaluate(Snapshot(takenAt: 2 * Self.second, tasks: [forgotten, awaited, native]))
        #expect(lints.map(\.kind) == [.errorNeverRetrieved])
        #expect(lints[0].tasks == [1] && lints[0].message.contains("boom"))
    }

    @Test func orphanedWorkOfThisSnapshotsTasksIsFlagged() {
        let upload = TaskInfo(id: 7, name: "upload", state: .cancelled(message: nil))
        let pool = ExecutorInfo(name: "io", kind: .threads, workers: [
            WorkerInfo(name: "io-0", item: 1, awaitingTask: 7, since: 0, label: "upload", orphaned: true),
            WorkerInfo(name: "io-1", item: 2, awaitingTask: 99, since: 0, label: "another loop's", orphaned: true),
            WorkerInfo(name: "io-2", item: 3, awaitingTask: 8, since: 0, label: "awaited", orphaned: false),
        ])
        let lints = Lints.evaluate(Snapshot(tasks: [upload], executors: [pool]))
        #expect(lints.map(\.kind) == [.orphanedWork])
        #expect(lints[0].tasks == [7] && lints[0].message.contains("io-0") && lints[0].message.contains("'upload'"))
    }

    @Test func aDeadlockNamesItsTasksAndLocks() {
        let left = TaskInfo(id: 1, name: "left", state: .suspended(.resource(kind: "Lock", id: 11, name: "second")))
        let right = TaskInfo(id: 2, name: "right", state: .suspended(.resource(kind: "Lock", id: 10, name: "first")))
        let first = ResourceInfo(id: 10, kind: "Lock", name: "first", holders: [1], waiters: [2])
        let second = ResourceInfo(id: 11, kind: "Lock", name: "second", holders: [2], waiters: [1])
        let lints = Lints.evaluate(Snapshot(tasks: [left, right], resources: [first, second]))
        #expect(lints.map(\.kind) == [.deadlock])
        #expect(lints[0].resources.sorted() == [10, 11])
        #expect(lints[0].message == "left (1) waits on Lock second, held by right (2), which waits on Lock first, held by left (1)")
    }
}

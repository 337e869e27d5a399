import Foundation
import Testing
@testable import AsyncTopModel

@Suite struct SnapshotTests {
    func task(_ id: TaskID, _ state: TaskState = .pending, version: UInt64 = 1, parent: TaskID? = nil) -> TaskInfo {
        TaskInfo(id: id, parentID: parent, name: "t\(id)", state: state, version: version)
    }

    @Test func applyingADeltaMergesChangesAndRemovals() {
        let old = Snapshot(version: 10, tasks: [task(1), task(2), task(4), task(6)])
        let delta = SnapshotDelta(
            fromVersion: 10, toVersion: 15, takenAt: 99, isFull: false,
            changed: [task(2, .running, version: 12), task(3, version: 13), task(7, version: 14)],
            removed: [4, 5, 7], stats: LoopStats(totalSteps: 5), executors: [])
        let new = old.applying(delta)
        #expect(new.tasks.map(\.id) == [1, 2, 3, 6])
        #expect(new.task(2)?.state == .running)
        #expect(new.version == 15 && new.takenAt == 99 && new.stats.totalSteps == 5)
    }

    @Test func aFullDeltaReplacesEverything() {
        let old = Snapshot(version: 3, tasks: [task(1), task(2)])
        let delta = SnapshotDelta(fromVersion: 0, toVersion: 9, takenAt: 1, isFull: true, changed: [task(5)],
                                  removed: [], stats: LoopStats(), executors: [])
        #expect(old.applying(delta).tasks.map(\.id) == [5])
    }

    @Test func applyingInPlaceGivesWhatApplyingGives() {
        let old = Snapshot(version: 10, tasks: [task(1), task(2), task(4), task(6)])
        func delta(_ changed: [TaskInfo], removed: [TaskID] = [], full: Bool = false) -> SnapshotDelta {
            SnapshotDelta(fromVersion: 10, toVersion: 15, takenAt: 99, isFull: full, changed: changed, removed: removed,
                          stats: LoopStats(totalSteps: 5), executors: [])
        }
        let deltas = [
            delta([task(2, .running, version: 12), task(6, .running, version: 13)]),  // in place
            delta([task(4, .running, version: 12), task(7, version: 13), task(9, version: 14)]),  // in place, appended
            delta([task(3, version: 13), task(6, .running, version: 14)]),  // a new task in the middle: merged
            delta([task(2, .running, version: 12)], removed: [1]),  // a removal: merged
            delta([task(5)], full: true),
            delta([]),
        ]
        for delta in deltas {
            var inPlace = old
            inPlace.apply(delta)
            #expect(inPlace == old.applying(delta), "\(delta.changed.map(\.id)) removing \(delta.removed)")
        }
    }

    @Test func lookupAndChildren() {
        let snap = Snapshot(tasks: [task(1), task(2, parent: 1), task(3, parent: 1), task(4, parent: 2)])
        #expect(snap.task(3)?.parentID == 1)
        #expect(snap.task(9) == nil)
        #expect(snap.children(of: 1).map(\.id) == [2, 3])
    }

    @Test func snapshotsRoundTripThroughJSON() throws {
        let info = TaskInfo(id: 7, parentID: 2, name: nil, origin: .native, site: "A.swift:3",
                            state: .suspended(.resource(kind: "Lock", id: 4, name: "db")),
                            cancel: CancelInfo(requestedBy: .combinator("time-out of waitFor", task: 2), message: "late",
                                               requestedAt: 5, deliveredAt: 6, deliveredIn: "Lock db", outcome: .cancelled),
                            history: [Transition(at: 3, state: .suspended, detail: "sleep until 0.010s")],
                            createdAt: 1, startedAt: 2, stateSince: 4, steps: 3, busy: 1000, version: 8)
        let snap = Snapshot(version: 8, takenAt: 9, tasks: [info],
                            executors: [ExecutorInfo(name: "pool", kind: .threads,
                                                     workers: [WorkerInfo(name: "pool-0", item: 1, awaitingTask: 7, orphaned: true)])])
        let decoded = try JSONDecoder().decode(Snapshot.self, from: JSONEncoder().encode(snap))
        #expect(decoded == snap)
        #expect(decoded.tasks[0].displayName == "Task-7")
    }

    @Test func theTimelineTellsTheWholeStoryInOrder() {
        let info = TaskInfo(id: 1, name: "x", state: .done(result: "42"),
                            history: [Transition(at: 20, state: .suspended, detail: "task 2")],
                            createdAt: 5, startedAt: 10, stateSince: 30, finishedAt: 30)
        #expect(info.timeline.map(\.state) == [.pending, .running, .suspended, .done])
        #expect(info.timeline.map(\.at) == [5, 10, 20, 30])
        #expect(info.timeline.last?.detail == "42")
    }

    @Test func durationsReadWell() {
        #expect(formatDuration(850) == "850ns")
        #expect(formatDuration(12_340) == "12.3µs")
        #expect(formatDuration(4_500_000) == "4.5ms")
        #expect(formatDuration(2_100_000_000) == "2.1s")
        #expect(formatSeconds(1_250_000_000) == "1.250s")
    }
}

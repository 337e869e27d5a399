import Foundation
import Testing
@testable import AsyncTopModel

@Suite struct WaitForGraphTests {
    func task(_ id: TaskID, _ state: TaskState, parent: TaskID? = nil) -> TaskInfo {
        TaskInfo(id: id, parentID: parent, name: "t\(id)", state: state)
    }

    func lock(_ id: UInt64) -> WaitTarget { .resource(kind: "Lock", id: id, name: "L\(id)") }

    @Test func twoTasksHoldingWhatTheOtherWantsFormACycle() {
        let snapshot = Snapshot(
            tasks: [task(1, .suspended(lock(10))), task(2, .suspended(lock(11))), task(3, .running)],
            resources: [ResourceInfo(id: 10, kind: "Lock", holders: [2], waiters: [1]),
                        ResourceInfo(id: 11, kind: "Lock", holders: [1], waiters: [2])])
        let graph = WaitForGraph(snapshot)
        #expect(graph.edges.count == 4)
        #expect(graph.cycles == [[.task(1), .resource(10), .task(2), .resource(11)]])
        #expect(graph.deadlockedTasks == [[1, 2]])
    }

    @Test func aChainIsNoCycle() {
        let snapshot = Snapshot(
            tasks: [task(1, .suspended(lock(10))), task(2, .suspended(.task(3))), task(3, .suspended(.sleep(until: 5)))],
            resources: [ResourceInfo(id: 10, kind: "Lock", holders: [2])])
        let graph = WaitForGraph(snapshot)
        #expect(graph.edges.map(\.label) == ["waits on Lock L10", "awaits", "held by"])
        #expect(graph.cycles.isEmpty)
    }

    @Test func tasksAwaitingEachOtherAndAParentWaitingOnItsChild() {
        let snapshot = Snapshot(
            tasks: [task(3, .suspended(.task(4))), task(4, .suspended(.task(3))),
                    task(5, .suspended(.children(count: 1))), task(6, .suspended(lock(20)), parent: 5),
                    task(7, .done(result: nil), parent: 5)],
            resources: [ResourceInfo(id: 20, kind: "Lock", holders: [5])])
        let graph = WaitForGraph(snapshot)
        #expect(graph.cycles == [[.task(3), .task(4)], [.task(5), .task(6), .resource(20)]])
        #expect(!graph.edges.contains { $0.to == .task(7) })
    }

    @Test func aSelfLoopIsACycle() {
        let snapshot = Snapshot(tasks: [task(1, .suspended(lock(10)))],
                                resources: [ResourceInfo(id: 10, kind: "Lock", holders: [1])])
        #expect(WaitForGraph(snapshot).deadlockedTasks == [[1]])
    }

    @Test func longChainsIntoACycleAndWaitsOnMissingTasks() {
        // 1 → 2 → … → 20 → 21 ⇄ 22: longer than the rounds that trim chains before the search.
        var tasks = (1...21).map { task(TaskID($0), .suspended(.task(TaskID($0 + 1)))) }
        tasks.append(task(22, .suspended(.task(21))))
        // A chain that ends in nothing, and a wait on a task the snapshot does not hold.
        tasks += (30...45).map { task(TaskID($0), .suspended(.task(TaskID($0 + 1)))) }
        tasks.append(task(46, .running))
        tasks.append(task(50, .suspended(.task(99))))
        let snapshot = Snapshot(tasks: tasks)
        #expect(WaitForGraph(snapshot).cycles == [[.task(21), .task(22)]])
        #expect(WaitForGraph.cycles(in: snapshot) == [[.task(21), .task(22)]])
        #expect(Lints.evaluate(snapshot).map(\.tasks) == [[21, 22]])
    }

    @Test func resourcesTravelInDeltasAndDecodeWhenAbsent() throws {
        let old = Snapshot(version: 1)
        let delta = SnapshotDelta(fromVersion: 1, toVersion: 2, takenAt: 3, isFull: false, changed: [], removed: [],
                                  stats: LoopStats(), executors: [], resources: [ResourceInfo(id: 9, kind: "Queue")])
        let new = old.applying(delta)
        #expect(new.resource(9)?.kind == "Queue")
        let data = try JSONEncoder().encode(new)
        #expect(try JSONDecoder().decode(Snapshot.self, from: data) == new)
        var object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        object.removeValue(forKey: "resources")
        let legacy = try JSONSerialization.data(withJSONObject: object)
        #expect(try JSONDecoder().decode(Snapshot.self, from: legacy).resources.isEmpty)
    }

    @Test func resourcesTravelInTheDeltasOfRecordingsAndAttachedClients() {
        // What `--record` and the monitor send: a full delta, then the delta between two snapshots.
        let lock = ResourceInfo(id: 4, kind: "Lock", name: "db", holders: [1], waiters: [2])
        let first = Snapshot(version: 1, resources: [lock])
        var second = first
        second.version = 2
        second.resources = [ResourceInfo(id: 4, kind: "Lock", name: "db", holders: [2])]
        #expect(Snapshot().applying(.full(first)).resources == [lock])
        #expect(first.applying(.between(first, second)).resources == second.resources)
    }
}

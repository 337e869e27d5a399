import Testing
import AsyncTopModel
@testable import AsyncTopTUI

@Suite struct TaskListTests {
    private func ids(_ list: TaskList) -> [TaskID] { list.rows.indices.map { list.task(at: $0).id } }

    @Test func treeIsDepthFirstWithDepthsAndLastSiblings() {
        let list = TaskList(snapshot: Fixtures.small(), options: .init())
        #expect(ids(list) == [1, 2, 3, 4, 5, 6, 7])
        #expect(list.rows.map(\.depth) == [0, 1, 2, 2, 1, 1, 1])
        #expect(list.rows.map(\.isLast) == [true, false, false, true, false, false, true])
        #expect(list.rows.map(\.hasChildren) == [true, true, false, false, false, false, false])
        // worker-a sits under fetch, which has later siblings: level 0 keeps a │.
        #expect(list.rows[2].guides == 0b1)
        #expect(list.rows[6].guides == 0)
    }

    /// The plain case (every task, id order, nothing folded) has a walk of its own: it gives
    /// the general walk's rows, row for row, on random forests with unknown parents, parents
    /// of later ids and cycles. (Folding an id no task has takes the general walk.)
    @Test func thePlainWalkGivesTheGeneralWalksRows() {
        var random = SystemRandomNumberGenerator()
        for round in 0..<200 {
            let n = Int.random(in: 1...(round < 100 ? 40 : 3_000), using: &random)
            let ids = (1...n).map { TaskID($0 * 2) }
            let tasks = ids.map { id -> TaskInfo in
                let parent: TaskID? = switch Int.random(in: 0..<10, using: &random) {
                case 0: nil
                case 1: TaskID.random(in: 1...TaskID(4 * n), using: &random)  // unknown, or any task, cycles included
                default: ids.randomElement(using: &random).flatMap { $0 < id ? $0 : nil }
                }
                return TaskInfo(id: id, parentID: parent, name: nil, state: .pending)
            }
            let snapshot = Snapshot(version: 1, tasks: tasks)
            let plain = TaskList(snapshot: snapshot, options: .init())
            let general = TaskList(snapshot: snapshot, options: .init(collapsed: [1]))
            #expect(plain.rows == general.rows, "round \(round), \(n) tasks")
            #expect(plain.rows.count == n)
        }
    }

    @Test func filterKeepsAncestorsOfMatchesAsContext() {
        let list = TaskList(snapshot: Fixtures.small(), options: .init(filter: .failed))
        #expect(ids(list) == [1, 5])
        #expect(list.rows.map(\.matchesFilter) == [false, true])
    }

    @Test func collapsedSubtreeIsHidden() {
        let list = TaskList(snapshot: Fixtures.small(), options: .init(collapsed: [2]))
        #expect(ids(list) == [1, 2, 5, 6, 7])
        #expect(list.rows[1].isCollapsed)
    }

    @Test func siblingsFollowTheSortOrder() {
        let sort = SortOrder(column: .name, ascending: true)
        let list = TaskList(snapshot: Fixtures.small(), options: .init(sort: sort))
        #expect(ids(list) == [1, 2, 3, 4, 7, 6, 5])
    }

    @Test func flatListFiltersAndSortsEveryTask() {
        let options = TaskList.Options(layout: .flat, filter: .active, sort: SortOrder(column: .steps, ascending: false))
        let list = TaskList(snapshot: Fixtures.small(), options: options)
        #expect(ids(list) == [3, 1, 2, 7])
        #expect(list.rows.allSatisfy { $0.depth == 0 })
    }

    @Test func taskWithAnUnknownParentIsARoot() {
        let snapshot = Snapshot(tasks: [TaskInfo(id: 1, name: "a"), TaskInfo(id: 2, parentID: 99, name: "orphan")])
        let list = TaskList(snapshot: snapshot, options: .init())
        #expect(ids(list) == [1, 2])
        #expect(list.rows.map(\.depth) == [0, 0])
    }

    @Test func parentCycleStillShowsEveryTaskOnce() {
        let snapshot = Snapshot(tasks: [
            TaskInfo(id: 1, parentID: 2, name: "a"), TaskInfo(id: 2, parentID: 1, name: "b"),
            TaskInfo(id: 3, parentID: 3, name: "self"),
        ])
        let list = TaskList(snapshot: snapshot, options: .init())
        #expect(ids(list).sorted() == [1, 2, 3])
    }

    @Test func subtreeAndChildren() {
        let list = TaskList(snapshot: Fixtures.small(), options: .init(filter: .failed))
        #expect(list.subtree(of: 2).map(\.id) == [2, 3, 4])
        #expect(list.children(of: 1).map(\.id) == [2, 5, 6, 7])
        #expect(list.subtree(of: 42).isEmpty)
    }
}

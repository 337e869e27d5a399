import Testing
import AsyncTopModel
@testable import AsyncTopTUI

/// 100,000 tasks: correctness only; the render time is measured outside the tests.
@Suite struct LargeSnapshotTests {
    static let count = 100_000
    let snapshot = Fixtures.large(count: count)

    @Test func everyTaskGetsOneRowAndTheTopOfTheTreeShows() {
        let list = TaskList(snapshot: snapshot, options: .init())
        #expect(list.rows.count == Self.count)
        #expect(Set(list.rows.map(\.taskIndex)).count == Self.count)
        let lines = render(list: list, state: ViewState(), size: (40, 120)).lines
        #expect(lines[5].hasPrefix("      1 ‖ suspended  task-1"))
        #expect(lines[6].hasPrefix("      4 ▶ running    ├─ task-4"))
        #expect(lines[7].hasPrefix("     16 ▶ running    │  ├─ task-16"))
    }

    @Test func bottomKeyShowsTheLastRowSelected() {
        let list = TaskList(snapshot: snapshot, options: .init())
        let (state, _) = reduce(ViewState(), .bottom, list: list)
        let last = list.task(at: Self.count - 1)
        let screen = render(list: list, state: state, size: (40, 120))
        let layout = Layout(rows: 40)
        let lastRow = layout.firstTaskRow + layout.taskRows - 1
        #expect(screen.lines[lastRow].hasPrefix("  \(last.id) "))
        #expect(screen[lastRow, 0].style == Theme(colors: true).selection)
    }

    @Test func activeFilterOnAHugeFlatList() {
        let list = TaskList(snapshot: snapshot, options: .init(layout: .flat, filter: .active))
        #expect(list.rows.count == Self.count * 3 / 4)
    }
}

import Testing
import AsyncTopModel
@testable import AsyncTopTUI

/// The lints pane, the lint marks of the task table and the lints in a task's details.
@Suite struct LintsViewTests {
    private let theme = Theme(colors: true)

    private func screen(_ snapshot: Snapshot = Fixtures.withLints(), size: (rows: Int, cols: Int) = (30, 100),
                        _ configure: (inout ViewState) -> Void = { _ in }) -> Screen {
        var state = ViewState()
        state.pane = .lints
        configure(&state)
        return render(snapshot: snapshot, state: state, size: size)
    }

    @Test func paneListsEachLintWithItsKindTaskAndMessage() {
        let screen = screen()
        let lines = screen.lines
        #expect(lines[3] == " View tree  Filter all  Sort id▲   4 lints")
        #expect(Array(lines[4...10]) == [
            " Lints (4)   long step > 100ms · cancel seen < 1.0s · error taken < 1.0s · read waits < 10.0s",
            "   KIND                    TASK                   MESSAGE",
            " ⚠ long step               fetch (2)              held the loop for 300ms in one step",
            " ⚠ error never retrieved   parser (5)             failed 1.6s ago and no one took its error: bad i…",
            " ⚠ orphaned work           fetch (2)              io-1 of io runs 'read' on for fetch (2), whose a…",
            " ⚠ deadlock                worker-a (3) +1        waits on Lock db, held by idle (7), which waits …",
            "",
        ])
        // The first lint is selected; the others show their severity's colour.
        #expect(screen[6, 1].style == theme.selection)
        #expect(screen[7, 1].style == theme.lint(.error) && screen[7, 1].style.foreground == .red)
        #expect(screen[8, 3].style == theme.lint(.warning) && screen[8, 3].style.foreground == .yellow)
        #expect(screen[7, 29].style == .plain)
        // The header's count takes the colour of the worst lint.
        #expect(screen[3, 36].style == theme.lintBadge(.error))
        #expect(lines[29] == "EnterGo to  EscBack   j/kSelect F9Cancel F10Quit")
    }

    @Test func theSelectedLintShowsInFullAtTheBottom() {
        let first = screen().lines
        #expect(Array(first[24...28]) == [
            " " + String(repeating: "─", count: 98),
            " long step  task 2 · since 0.110s",
            "   fetch (2) held the loop for 300ms in one step",
            "",
            "",
        ])
        let deadlock = Lints.evaluate(Fixtures.withLints())[3]
        let lines = screen { $0.lintSelectedID = deadlock.id }.lines
        #expect(Array(lines[25...27]) == [
            " deadlock  tasks 3, 7 · Lock db, Lock cache",
            "   worker-a (3) waits on Lock db, held by idle (7), which waits on Lock cache, held by worker-a (3)",
            "",
        ])
    }

    @Test func emptyPaneSaysSoAndTheHeaderHasNoCount() {
        let lines = screen(Snapshot()).lines
        #expect(lines[3] == " View tree  Filter all  Sort id▲")
        #expect(Array(lines[4...8]) == [
            " Lints   long step > 100ms · cancel seen < 1.0s · error taken < 1.0s · read waits < 10.0s",
            "",
            "   No lints: no long steps, unacknowledged or swallowed cancellations, orphaned work, unretrieved",
            "   errors, deadlocks or reads waiting with no timeout.",
            "",
        ])
        #expect(lines[29] == "EscBack   F10Quit")
    }

    @Test func thresholdsComeFromTheState() {
        let lines = screen { $0.lintThresholds = LintThresholds(longStep: 500_000_000) }.lines
        #expect(lines[4] == " Lints (3)   long step > 500ms · cancel seen < 1.0s · error taken < 1.0s · read waits < 10.0s")
        #expect(!lines.contains { $0.contains("long step   ") })
    }

    @Test func narrowScreenLeavesTheMessageToTheBottom() {
        let lines = screen(size: (12, 40)) { $0.lintSelectedRow = 3 }.lines
        #expect(Array(lines[4...11]) == [
            " Lints (4)   long step > 100ms · cancel",
            "   KIND          TASK",
            " ⚠ deadlock      worker-a (3) …",
            " ──────────────────────────────────────",
            " deadlock  tasks 3, 7 · Lock db, Lock c",
            "   worker-a (3) waits on Lock db, held",
            "   by idle (7), which waits on Lock …",
            "EnterGo to  EscBack   j/kSelect F9Cancel",
        ])
    }

    @Test func manyLintsScrollToKeepTheSelectionInView() {
        let tasks = (1...40).map { TaskInfo(id: TaskID($0), name: "slow-\($0)", maxStep: 200_000_000) }
        let screen = screen(Snapshot(tasks: tasks), size: (24, 100)) { $0.lintSelectedRow = 30; $0.lintScrollTop = 0 }
        // 24 rows: the list has 24 - 5 - 2 - 5 = 12 rows, the selection (the 31st) on the last.
        #expect(screen.lines[6].contains("slow-20 (20)"))
        #expect(screen.lines[17].contains("slow-31 (31)"))
        #expect(screen[17, 10].style == theme.selection)
        #expect(screen.lines[18].hasPrefix(" ───"))
    }

    @Test func tasksNamedByALintAreMarked() {
        let screen = screen { $0.pane = .tasks }
        #expect(Array(screen.lines[5...11]) == [
            "      1 ▶ running    main                                 loop          2.0s  12.0ms      40  15.0µs",
            "      2 ‖ suspended  ├─ ⚠ fetch          sleep until 2.5… loop          1.9s   2.0ms       3  40.0µs",
            "      3 ‖ suspended! │  ├─ ⚠ worker-a    Lock db          loop          1.8s     0ns    1.5k     0ns",
            "      4 ✓ done       │  └─ worker-b                       loop         500ms     0ns       2     0ns",
            "      5 ✗ failed     ├─ ⚠ parser         bad input        loop         100ms     0ns       1     0ns",
            "      6 ⊘ cancelled  ├─ janitor          shutdown         loop         210ms     0ns       0     0ns",
            "      7 ‖ suspended  └─ ⚠ idle           Lock cache       loop        10.0ms     0ns       0     0ns",
        ])
        // fetch has warnings (long step, orphaned work); parser's lost error is an error, and
        // its mark is not dimmed with the rest of the finished row.
        #expect(screen[6, 24].style == theme.lint(.warning))
        #expect(screen[9, 24].style == theme.lint(.error))
        #expect(screen[9, 26].style.attributes.contains(.dim))
        let flat = self.screen { $0.pane = .tasks; $0.layout = .flat }
        #expect(flat.lines[6].hasPrefix("      2 ‖ suspended  ⚠ fetch "))
    }

    @Test func asciiMonochromeMarksAreBangsInBold() {
        let screen = screen { $0.pane = .tasks; $0.display = DisplayOptions(colors: false, unicode: false) }
        #expect(screen.lines[6].hasPrefix("      2 = suspended  |- ! fetch          sleep until 2.5~"))
        #expect(screen.lines[9].hasPrefix("      5 x failed     |- ! parser "))
        #expect(screen.lines[10].hasPrefix("      6 - cancelled  |- janitor "))
        #expect(screen[6, 24].style == Style(attributes: .bold))
        let pane = self.screen { $0.display = DisplayOptions(colors: false, unicode: false) }
        #expect(pane.lines[6] == " ! long step               fetch (2)              held the loop for 300ms in one step")
        #expect(pane.lines[24] == " " + String(repeating: "-", count: 98))
    }

    @Test func detailsListTheTasksLints() throws {
        let lines = screen(size: (40, 100)) { $0.pane = .details(2) }.lines
        let start = try #require(lines.firstIndex(of: " Lints (2)"))
        #expect(Array(lines[start...(start + 4)]) == [
            " Lints (2)",
            "   ⚠ long step",
            "     fetch (2) held the loop for 300ms in one step",
            "   ⚠ orphaned work",
            "     io-1 of io runs 'read' on for fetch (2), whose await was cancelled",
        ])
        let quiet = screen(size: (40, 100)) { $0.pane = .details(4) }.lines
        #expect(!quiet.contains { $0.hasPrefix(" Lints") })
    }
}

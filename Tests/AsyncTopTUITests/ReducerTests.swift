import Testing
import AsyncTopModel
@testable import AsyncTopTUI

/// Drives the reducer with keys, the way the terminal loop does.
private struct Driver {
    var state = ViewState(demos: Fixtures.demos)
    var snapshot = Fixtures.small()
    var effects: [Effect] = []

    @discardableResult
    mutating func press(_ keys: Key...) -> Effect {
        var last = Effect.none
        for key in keys {
            guard let action = KeyBindings.action(for: key, in: state) else { continue }
            (state, last) = reduce(state, action, snapshot)
            if last != .none { effects.append(last) }
        }
        return last
    }

    mutating func type(_ text: String) {
        for c in text { press(.character(c)) }
    }

    var selected: TaskID? {
        let list = TaskList(snapshot: snapshot, options: state.listOptions)
        return state.selectionRow(in: list).map { list.task(at: $0).id }
    }

    /// The lint selected in the lints pane.
    var selectedLint: Lint? {
        let report = LintReport(snapshot: snapshot, thresholds: state.lintThresholds)
        return state.lintSelectionRow(in: report).map { report.lints[$0] }
    }
}

@Suite struct ReducerTests {
    @Test func arrowsAndVimKeysMoveAndStopAtTheEnds() {
        var d = Driver()
        #expect(d.selected == 1)
        d.press(.down, .character("j"))
        #expect(d.selected == 3)
        d.press(.character("k"))
        #expect(d.selected == 2)
        d.press(.character("G"))
        #expect(d.selected == 7)
        d.press(.down)
        #expect(d.selected == 7)
        d.press(.character("g"), .up)
        #expect(d.selected == 1)
    }

    @Test func pageKeysMoveByTheVisibleRowsAndScroll() {
        var d = Driver()
        d.snapshot = Fixtures.large(count: 100)
        (d.state, _) = reduce(d.state, .resize(rows: 12, cols: 80), d.snapshot)
        // 12 rows: 4 header lines, the column titles and the footer leave 6 task rows.
        #expect(d.state.pageSize == 6)
        d.press(.pageDown, .pageDown)
        #expect(d.state.selectedRow == 12)
        #expect(d.state.scrollTop == 7)
        d.press(.pageUp)
        #expect(d.state.selectedRow == 6)
        #expect(d.state.scrollTop == 6)
    }

    @Test func selectionFollowsTheTaskAcrossRefreshes() {
        var d = Driver()
        d.press(.character("j"), .character("j"), .character("j"), .character("j"))
        #expect(d.selected == 5)
        // A new child of fetch appears above parser and pushes it down a row.
        var next = Fixtures.small(version: 2)
        next.tasks.append(TaskInfo(id: 9, parentID: 2, name: "late", state: .running))
        d.snapshot = next
        let list = TaskList(snapshot: next, options: d.state.listOptions)
        #expect(d.state.selectionRow(in: list) == 5)
        d.press(.down)
        #expect(d.selected == 6)
    }

    @Test func selectionFallsBackToItsRowWhenTheTaskLeaves() {
        var d = Driver()
        d.press(.character("G"))
        var next = Fixtures.small(version: 2)
        next.tasks.removeLast()
        d.snapshot = next
        #expect(d.selected == 6)
    }

    @Test func filterCyclesThroughTheStates() {
        var d = Driver()
        var seen: [StateFilter] = []
        for _ in 0..<5 {
            d.press(.character("f"))
            seen.append(d.state.filter)
        }
        #expect(seen == [.active, .finished, .failed, .cancelled, .all])
    }

    @Test func sortCyclesAndInverts() {
        var d = Driver()
        d.press(.character("s"))
        #expect(d.state.sort == SortOrder(column: .state, ascending: true))
        d.press(.character("i"))
        #expect(d.state.sort == SortOrder(column: .state, ascending: false))
    }

    @Test func treeKeysToggleLayoutAndFold() {
        var d = Driver()
        d.press(.character("j"), .character("-"))
        #expect(d.state.collapsed == [2])
        d.press(.character("+"))
        #expect(d.state.collapsed.isEmpty)
        d.press(.function(5))
        #expect(d.state.layout == .flat)
    }

    @Test func searchSelectsMatchesAsYouTypeAndEscReturns() {
        var d = Driver()
        d.press(.character("j"))
        d.press(.character("/"))
        d.type("wor")
        #expect(d.selected == 3)
        d.type("ker-b")
        #expect(d.selected == 4)
        d.press(.backspace, .backspace)
        #expect(d.state.prompt == .search(query: "worker", origin: 2))
        d.press(.escape)
        #expect(d.state.prompt == nil)
        #expect(d.selected == 2)
    }

    @Test func searchKeepsTheMatchOnEnterAndTypesQAsText() {
        var d = Driver()
        d.press(.character("/"))
        d.type("IDLEq")
        #expect(d.state.status == "no match for \"IDLEq\"")
        d.press(.backspace, .enter)
        #expect(d.state.prompt == nil)
        #expect(d.selected == 7)
        #expect(d.effects.isEmpty)
    }

    @Test func cancelAsksFirstThenSendsTheTypedMessage() {
        var d = Driver()
        d.press(.character("j"), .character("c"))
        #expect(d.state.prompt == .confirmCancel(task: 2, message: ""))
        d.type("too slow")
        d.press(.backspace)
        #expect(d.effects.isEmpty)
        let effect = d.press(.enter)
        #expect(effect == .cancelTask(2, message: "too slo"))
        #expect(d.state.prompt == nil)
        // What became of it is the source's answer (TruthfulReportsTests), not claimed here.
        #expect(d.state.status == "cancelling task 2…")
    }

    @Test func cancelWithoutAMessageSendsNil() {
        var d = Driver()
        #expect(d.press(.function(9), .enter) == .cancelTask(1, message: nil))
    }

    @Test func escapeAbortsTheCancel() {
        var d = Driver()
        d.press(.character("c"))
        d.type("q")
        d.press(.escape)
        #expect(d.state.prompt == nil)
        #expect(d.effects.isEmpty)
        #expect(d.state.status == "cancel aborted")
    }

    @Test func finishedTaskCannotBeCancelled() {
        var d = Driver()
        d.press(.character("j"), .character("j"), .character("j"), .character("c"))
        #expect(d.selected == 4)
        #expect(d.state.prompt == nil)
        #expect(d.state.status == "task 4 has already finished")
    }

    @Test func detailsOpenOnEnterAndCloseOnEsc() {
        var d = Driver()
        d.press(.character("j"), .enter)
        #expect(d.state.pane == .details(2))
        d.press(.character("j"))
        #expect(d.state.detailsScroll == 1)
        d.press(.character("c"))
        #expect(d.state.prompt == .confirmCancel(task: 2, message: ""))
        d.press(.escape, .escape)
        #expect(d.state.pane == .tasks)
    }

    @Test func demoLauncherLaunchesTheChosenDemo() {
        var d = Driver()
        d.press(.character("d"))
        #expect(d.state.pane == .demos)
        d.press(.down, .down)
        #expect(d.press(.enter) == .launchDemo("timeouts"))
        #expect(d.state.pane == .tasks)
    }

    @Test func panesToggleAndQuitWorksEverywhere() {
        var d = Driver()
        d.press(.character("x"))
        #expect(d.state.pane == .executors)
        d.press(.character("x"))
        #expect(d.state.pane == .tasks)
        d.press(.character("l"), .character("?"))
        #expect(d.state.pane == .help)
        d.press(.character(" "))
        #expect(d.state.isPaused)
        #expect(d.press(.character("q")) == .quit)
        #expect(d.press(.function(10)) == .quit)
    }

    @Test func lintsPaneSelectsWithinTheListAndFollowsTheLint() {
        var d = Driver()
        d.snapshot = Fixtures.withLints()
        d.press(.character("l"))
        #expect(d.state.pane == .lints)
        #expect(d.selectedLint?.kind == .longStep)
        d.press(.down, .character("j"))
        #expect(d.selectedLint?.kind == .orphanedWork)
        d.press(.down, .down, .down)
        #expect(d.selectedLint?.kind == .deadlock)
        #expect(d.state.lintSelectedRow == 3)
        d.press(.up, .character("g"), .up)
        #expect(d.selectedLint?.kind == .longStep)
        d.press(.pageDown)
        #expect(d.selectedLint?.kind == .deadlock)
        d.press(.character("g"), .character("j"))
        #expect(d.selectedLint?.kind == .errorNeverRetrieved)
        // fetch's long step goes away: the selection stays on parser's lint, a row up.
        var next = Fixtures.withLints(version: 2)
        next.tasks[1] = TaskInfo(id: 2, parentID: 1, name: "fetch", state: .running)
        d.snapshot = next
        #expect(d.selectedLint?.kind == .errorNeverRetrieved)
        // Up/down in the pane leave the task selection alone; Esc and l go back.
        #expect(d.selected == 1)
        d.press(.escape)
        #expect(d.state.pane == .tasks)
        d.press(.character("l"), .character("l"))
        #expect(d.state.pane == .tasks)
    }

    @Test func cancelInTheLintsPaneAsksAboutTheLintsTask() {
        var d = Driver()
        d.snapshot = Fixtures.withLints()
        // The deadlock's first task, worker-a (3), still runs: the dialog asks about it.
        d.press(.character("l"), .character("G"), .character("c"))
        #expect(d.state.prompt == .confirmCancel(task: 3, message: ""))
        d.press(.escape)
        // parser (5) failed: nothing to cancel, and the status says so.
        d.press(.character("g"), .character("j"), .character("c"))
        #expect(d.state.prompt == nil)
        #expect(d.state.status == "task 5 has already finished")
    }

    @Test func lintsPaneWithoutLintsIgnoresMovesAndEnter() {
        var d = Driver()
        d.snapshot = Snapshot(tasks: [TaskInfo(id: 1, name: "calm")])
        d.press(.character("l"), .down, .character("G"), .enter)
        #expect(d.state.pane == .lints)
        #expect(d.state.lintSelectedRow == 0 && d.state.lintSelectedID == nil)
        #expect(d.effects.isEmpty)
    }

    @Test func enterGoesToTheLintsFirstTaskAndUnfoldsItsAncestors() {
        var d = Driver()
        d.snapshot = Fixtures.withLints()
        d.state.collapsed = [1, 2, 5]
        d.press(.character("l"), .character("G"), .enter)
        // The deadlock's first task is worker-a (3), under main (1) and fetch (2).
        #expect(d.state.pane == .tasks)
        #expect(d.selected == 3)
        #expect(d.state.collapsed == [5])
        #expect(d.state.selectedRow == 2)
        // In the flat list nothing is folded, and nothing is unfolded.
        d.state.layout = .flat
        d.state.collapsed = [1]
        d.press(.character("l"), .character("g"), .enter)
        #expect(d.selected == 2)
        #expect(d.state.collapsed == [1])
    }

    @Test func enterClearsAFilterThatHidesTheTask() {
        var d = Driver()
        d.snapshot = Fixtures.withLints()
        d.state.filter = .failed
        d.press(.character("l"), .character("G"), .enter)
        #expect(d.state.filter == .all)
        #expect(d.state.status == "filter reset to all to show task 3")
        #expect(d.selected == 3)
        // A filter that shows the task stays.
        d.press(.character("l"), .character("g"), .character("j"))
        d.state.filter = .failed
        d.press(.enter)
        #expect(d.state.filter == .failed)
        #expect(d.selected == 5)
    }

    @Test func enterScrollsAFarTaskIntoView() {
        var d = Driver()
        var snapshot = Fixtures.large(count: 300)
        snapshot.tasks[249] = TaskInfo(id: 250, parentID: 62, name: "slow", state: .running, maxStep: 500_000_000)
        d.snapshot = snapshot
        (d.state, _) = reduce(d.state, .resize(rows: 12, cols: 80), d.snapshot)
        d.press(.character("l"), .enter)
        #expect(d.selected == 250)
        let row = d.state.selectedRow
        #expect(row > 6)
        #expect(d.state.scrollTop <= row && row < d.state.scrollTop + d.state.pageSize)
        let lines = render(snapshot: d.snapshot, state: d.state, size: (12, 80)).lines
        #expect(lines.contains { $0.contains("⚠ slow") })
    }
}

import Testing
import AsyncTopModel
@testable import AsyncTopTUI

/// What the dashboard says happened is what did: a cancel's real answer, no cancel offered
/// where none can be made, orphaned work marked, dropped history counted.
@Suite struct TruthfulReportsTests {
    private let size = (rows: 30, cols: 100)

    /// ``Fixtures/small(version:)`` with an `async let` (8) and a group child (9) under fetch.
    private func withNativeChildren() -> Snapshot {
        var snapshot = Fixtures.small()
        snapshot.tasks += [
            TaskInfo(id: 8, parentID: 2, name: nil, origin: .asyncLet, state: .suspended(.ready), createdAt: 300 * Fixtures.ms),
            TaskInfo(id: 9, parentID: 2, name: nil, origin: .groupChild, state: .running, createdAt: 300 * Fixtures.ms),
        ]
        return snapshot
    }

    private func apply(_ actions: [Action], to state: ViewState, _ snapshot: Snapshot) -> (ViewState, [Effect]) {
        var state = state, effects: [Effect] = []
        for action in actions {
            let effect: Effect
            (state, effect) = reduce(state, action, snapshot)
            if effect != .none { effects.append(effect) }
        }
        return (state, effects)
    }

    @Test func theStatusIsTheSourcesAnswerNotAGuess() {
        var state = ViewState()
        state.selectedID = 3
        let (asked, effects) = apply([.cancelSelected, .activate], to: state, Fixtures.small())
        #expect(effects == [.cancelTask(3, message: nil)])
        #expect(asked.status?.contains("cancel requested") != true, "nothing is claimed before the answer")
        for answer in [CancelAnswer.requested, .alreadyFinished, .notFound, .notCancellable, .queued, .notConnected, .noAnswer] {
            let (answered, _) = reduce(asked, .cancelAnswered(task: 3, answer: answer), Fixtures.small())
            #expect(answered.status == answer.message(task: 3))
        }
        let (answered, _) = reduce(asked, .cancelAnswered(task: 3, answer: .notConnected), Fixtures.small())
        #expect(render(snapshot: Fixtures.small(), state: answered, size: size).lines[3]
            .hasSuffix("not connected: the cancel of task 3 was not sent"))
    }

    @Test func anAnswerArrivingLaterKeepsWhatTheUserIsDoing() {
        var state = ViewState()
        state.prompt = .search(query: "wor", origin: nil)
        state.pane = .details(2)
        let (answered, effect) = reduce(state, .cancelAnswered(task: 3, answer: .requested), Fixtures.small())
        #expect(effect == .none)
        #expect(answered.prompt == state.prompt && answered.pane == state.pane)
        #expect(answered.status == "cancel requested for task 3")
    }

    @Test(arguments: [(TaskID(8), "an async let"), (TaskID(9), "a group child")])
    func nativeChildrenAreNotOfferedACancel(id: TaskID, kind: String) {
        var state = ViewState()
        state.selectedID = id
        let (asked, effects) = apply([.cancelSelected, .activate], to: state, withNativeChildren())
        #expect(asked.prompt == nil, "no dialog")
        #expect(!effects.contains { if case .cancelTask = $0 { true } else { false } })
        let (again, _) = reduce(state, .cancelSelected, withNativeChildren())
        #expect(again.status == "task \(id) is \(kind): it cannot be cancelled by itself; cancel its parent")
        // From its details too.
        state.pane = .details(id)
        #expect(reduce(state, .cancelSelected, withNativeChildren()).0.prompt == nil)
    }

    @Test func theDialogNamesAnUnnamedTaskByItsKind() {
        var snapshot = withNativeChildren()
        snapshot.tasks.append(TaskInfo(id: 10, parentID: 1, name: nil, origin: .native, state: .running))
        var state = ViewState()
        state.prompt = .confirmCancel(task: 10, message: "")
        let lines = render(snapshot: snapshot, state: state, size: size).lines
        #expect(lines.contains { $0.contains("Cancel task 10 Task-10?") })
        #expect(!lines.contains { $0.contains("??") })
        // A cancel dialog on fetch lists its native children by kind.
        state.prompt = .confirmCancel(task: 2, message: "")
        let fetch = render(snapshot: snapshot, state: state, size: size).lines
        #expect(fetch.contains { $0.contains("8       ‖ suspended  async let") })
        #expect(fetch.contains { $0.contains("9       ▶ running    group child") })
    }

    /// A replay: no cancel, no launcher; the keys say why; footer and help leave them out.
    @Test func aSourceThatCannotCancelOrLaunchSaysSo() {
        var state = ViewState(demos: Fixtures.demos)
        state.unavailable = [.cancelSelected: "a replay cannot cancel tasks", .showDemos: "a replay cannot launch demos"]
        state.selectedID = 3
        let (cancelled, effects) = apply([.cancelSelected, .activate], to: state, Fixtures.small())
        #expect(!effects.contains { if case .cancelTask = $0 { true } else { false } })
        #expect(cancelled.prompt == nil && cancelled.pane == .details(3))
        #expect(reduce(state, .cancelSelected, Fixtures.small()).0.status == "a replay cannot cancel tasks")
        let launcher = reduce(state, .showDemos, Fixtures.small()).0
        #expect(launcher.pane == .tasks && launcher.status == "a replay cannot launch demos")

        let footer = render(snapshot: Fixtures.small(), state: state, size: size).lines[29]
        #expect(footer == "F1Help   F5Tree   F6Sort   F10Quit   /Search fFilter SpcPause  xExec   LLoop   rRes")
        var help = state
        help.pane = .help
        let lines = render(snapshot: Fixtures.small(), state: help, size: (40, 100)).lines
        #expect(!lines.contains { $0.contains("cancel the selected task") || $0.contains("demo launcher") })
        #expect(lines.contains(" Not here  a replay cannot cancel tasks"))
        #expect(lines.contains(" Not here  a replay cannot launch demos"))
        // In details, too, F9 is not offered.
        var details = state
        details.pane = .details(3)
        #expect(!render(snapshot: Fixtures.small(), state: details, size: size).lines[29].contains("F9"))
    }

    @Test func orphanedWorkIsMarkedInTheExecutorsPane() {
        var state = ViewState()
        state.pane = .executors
        let lines = render(snapshot: Fixtures.withLints(), state: state, size: (30, 120)).lines
        #expect(lines[9] == "   io-1  running item 21 read for task 2  ⚠ orphaned: task 2 fetch stopped waiting (cancelled)  for 500ms")
        let screen = render(snapshot: Fixtures.withLints(), state: state, size: (30, 120))
        let mark = screen.lines[9].distance(from: screen.lines[9].startIndex, to: screen.lines[9].firstIndex(of: "⚠")!)
        #expect(screen[9, mark].style == Theme(colors: true).lint(.warning))
        // Work whose task still waits is not marked.
        #expect(!render(snapshot: Fixtures.small(), state: state, size: size).text.contains("orphaned"))
        // In ASCII, with the lint's mark.
        state.display = DisplayOptions(colors: false, unicode: false)
        #expect(render(snapshot: Fixtures.withLints(), state: state, size: (30, 120)).lines[9]
            .contains("read for task 2  ! orphaned: task 2 fetch stopped waiting"))
    }

    @Test func droppedHistorySaysHowMuchWhereItWasDropped() {
        var snapshot = Fixtures.small()
        let fetch = snapshot.tasks[1]
        snapshot.tasks[1] = TaskInfo(id: 2, parentID: 1, name: "fetch", state: fetch.state, history: fetch.history,
                                     historyDropped: 10_505, createdAt: fetch.createdAt, startedAt: 105 * Fixtures.ms,
                                     stateSince: 120 * Fixtures.ms, steps: 10_508)
        var state = ViewState()
        state.pane = .details(2)
        let lines = render(snapshot: snapshot, state: state, size: (60, 100)).lines
        let history = try! #require(lines.firstIndex(of: " History"))
        #expect(Array(lines[(history + 1)...(history + 4)]) == [
            "       0.100s  ○ pending",
            "       0.105s  ▶ running",
            "   … 10505 earlier transitions not kept",
            "       0.100s  ○ pending",
        ])
        // Nothing dropped, nothing said.
        #expect(!render(snapshot: Fixtures.small(), state: state, size: (60, 100)).text.contains("not kept"))
    }
}

import Testing
import AsyncTopModel
@testable import AsyncTopTUI

/// Search's next and previous match, the escape sequences of Home and End, ASCII drawing
/// and narrow title bars.
@Suite struct SearchKeysAndGlyphsTests {
    private func press(_ keys: [Key], _ state: ViewState, _ snapshot: Snapshot = Fixtures.small()) -> ViewState {
        var state = state
        for key in keys {
            guard let action = KeyBindings.action(for: key, in: state) else { continue }
            state = reduce(state, action, snapshot).0
        }
        return state
    }

    private func keys(_ text: String) -> [Key] { text.map { Key.character($0) } }

    @Test func nAndShiftNGoToTheNextAndPreviousMatch() {
        // "worker" matches worker-a (3) and worker-b (4).
        var state = press(keys("/work") + [.enter], ViewState())
        #expect(state.selectedID == 3 && state.lastSearch == "work")
        state = press(keys("n"), state)
        #expect(state.selectedID == 4)
        state = press(keys("n"), state)
        #expect(state.selectedID == 3, "wraps around")
        state = press(keys("N"), state)
        #expect(state.selectedID == 4, "backwards, wrapping")
        state = press(keys("N"), state)
        #expect(state.selectedID == 3)
        #expect(state.status == nil)
    }

    @Test func searchSaysNoMatch() {
        let typing = press(keys("/zzz"), ViewState())
        #expect(typing.status == "no match for \"zzz\"")
        let footer = render(snapshot: Fixtures.small(), state: typing, size: (30, 100)).lines[29]
        #expect(footer == "Search: zzz_  no match for \"zzz\"   Enter done  Esc cancel")
        let again = press([.enter] + keys("n"), typing)
        #expect(again.status == "no match for \"zzz\"")
        #expect(press(keys("n"), ViewState()).status == "no search yet: / searches by name")
        let one = press(keys("/pars") + [.enter] + keys("n"), ViewState())
        #expect(one.selectedID == 5 && one.status == "only one match for \"pars\"")
    }

    @Test func helpListsNextAndPreviousMatch() {
        var state = ViewState()
        state.pane = .help
        let lines = render(snapshot: Fixtures.small(), state: state, size: (30, 100)).lines
        #expect(lines.contains("   / n N             search tasks by name; n N: next, previous match"))
        #expect(lines[28].hasPrefix(" Marks"), "the help still fits 30 rows")
    }

    /// tmux sends `ESC [1~` / `ESC [4~`, or `ESC OH` / `ESC OF` in keypad mode.
    @Test func homeAndEndSequencesDecode() {
        for sequence in ["[1~", "[7~", "[H", "OH", "[1;5H", "[1;2~"] { #expect(Key(escapeSequence: sequence) == .home, "\(sequence)") }
        for sequence in ["[4~", "[8~", "[F", "OF", "[1;5F"] { #expect(Key(escapeSequence: sequence) == .end, "\(sequence)") }
        #expect(Key(escapeSequence: "[5~") == .pageUp)
        #expect(Key(escapeSequence: "[A") == .up && Key(escapeSequence: "OB") == .down)
        #expect(Key(escapeSequence: "OP") == .function(1) && Key(escapeSequence: "[21~") == .function(10))
        for unknown in ["", "[", "[99~", "[Z", "Oz", "x", "[1x~"] { #expect(Key(escapeSequence: unknown) == nil, "\(unknown)") }
        #expect(Key.escapeSequenceIsComplete("[1~") && Key.escapeSequenceIsComplete("OH"))
        #expect(!Key.escapeSequenceIsComplete("[1") && !Key.escapeSequenceIsComplete("O") && !Key.escapeSequenceIsComplete("["))
        // Home and End go to the first and last task.
        var state = ViewState()
        state.selectedID = 4
        #expect(press([.end], state).selectedID == 7)
        #expect(press([.home], state).selectedID == 1)
    }

    @Test func asciiDrawsNothingButASCII() {
        var state = ViewState(demos: Fixtures.demos)
        state.display = DisplayOptions(colors: false, unicode: false)
        var snapshot = Fixtures.withLints()
        snapshot.tasks.append(TaskInfo(id: 10, parentID: 1, name: "naïve × 2 — ünïcode", state: .running))
        for pane in [Pane.tasks, .details(2), .details(3), .executors, .lints, .help, .demos] {
            state.pane = pane
            let screen = render(snapshot: snapshot, state: state, size: (40, 120))
            let outside = screen.text.filter { !$0.isASCII }
            #expect(outside.isEmpty, "\(pane): \(outside)")
        }
        state.pane = .tasks
        let lines = render(snapshot: snapshot, state: state, size: (40, 120)).lines
        #expect(lines[0].hasPrefix(" asynctop . loop main . running"))
        #expect(lines[5].hasSuffix("15.0us"))
        #expect(lines.contains { $0.contains("naive x 2 - unicode") } == false, "no look-alikes invented for letters")
        #expect(lines.contains { $0.contains("na?ve x 2 - ?n?code") })
    }

    /// A task with a cancel requested that a lint also names carries two different marks.
    @Test func cancelRequestedAndLintMarksDifferInASCII() {
        var state = ViewState()
        state.display = DisplayOptions(colors: false, unicode: false)
        // worker-a (3): cancel requested, and in the deadlock lint.
        let line = render(snapshot: Fixtures.withLints(), state: state, size: (30, 100)).lines[7]
        #expect(line.hasPrefix("      3 = suspended* |  |- ! worker-a"), "\(line)")
        state.pane = .help
        #expect(render(snapshot: Fixtures.small(), state: state, size: (30, 100)).lines
            .contains(" Marks  * cancel requested  ! named by a lint (l)"))
    }

    @Test(arguments: [40, 50, 60])
    func theClockKeepsItsPlaceBesideTheTitle(cols: Int) {
        var snapshot = Fixtures.small()
        snapshot.loopName = "a-loop-with-a-long-name"
        for paused in [false, true] {
            var state = ViewState()
            state.isPaused = paused
            let title = render(snapshot: snapshot, state: state, size: (30, cols)).lines[0]
            #expect(title.hasSuffix(" t=2.000s"), "\(cols) columns: \(title)")
            #expect(title.hasPrefix(" asynctop · loop a-"), "\(cols) columns: \(title)")
            #expect(title.count == cols - 1, "the clock ends one column from the edge")
            if paused { #expect(title.hasSuffix("…  PAUSED  t=2.000s") || title.hasSuffix("running  PAUSED  t=2.000s")) }
            // The title whole, or cut with a mark, and a space before what follows.
            let before = title.components(separatedBy: paused ? "  PAUSED" : " t=2.000s")[0]
            #expect(before.hasSuffix("· running") || before.hasSuffix("…"), "\(cols) columns: \(title)")
        }
    }
}

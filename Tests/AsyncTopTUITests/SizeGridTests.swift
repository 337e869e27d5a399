import Testing
import AsyncTopModel
@testable import AsyncTopTUI

/// Every pane and dialog at every size a terminal can have, from 0 × 0 up: the dashboard
/// draws (or says it is too small) and never traps. A window four rows tall used to.
@Suite struct SizeGridTests {
    static let rows = [0, 1, 2, 3, 4, 5, 6, 11, 12, 13, 23, 24, 25, 40, 80]
    static let cols = [0, 1, 2, 19, 20, 39, 40, 41, 50, 60, 80, 200]

    /// Each pane, each dialog, the search prompt; with lints and a selection, so every part draws.
    static let states: [(String, ViewState)] = {
        var base = ViewState(demos: Fixtures.demos)
        base.selectedID = 3
        var all: [(String, ViewState)] = []
        for (name, pane) in [("tasks", Pane.tasks), ("details", .details(2)), ("executors", .executors),
                             ("lints", .lints), ("resources", .resources), ("loop", .loop), ("help", .help), ("demos", .demos)] {
            var state = base
            state.pane = pane
            all.append((name, state))
        }
        var cancel = base
        cancel.prompt = .confirmCancel(task: 2, message: "a message")
        all.append(("cancel dialog", cancel))
        var search = base
        search.prompt = .search(query: "work", origin: 3)
        all.append(("search", search))
        var paused = base
        paused.isPaused = true
        paused.status = "a status line long enough to reach the edge of a narrow screen"
        all.append(("paused", paused))
        var ascii = base
        ascii.display = DisplayOptions(colors: false, unicode: false)
        all.append(("ascii", ascii))
        return all
    }()

    @Test(arguments: rows)
    func everyPaneRendersAtEverySize(rows: Int) {
        let snapshot = Fixtures.withLints()
        for cols in Self.cols {
            for (name, state) in Self.states {
                // The resize the terminal loop applies first, then a frame.
                let (resized, _) = reduce(state, .resize(rows: rows, cols: cols), snapshot)
                let screen = render(snapshot: snapshot, state: resized, size: (rows, cols))
                #expect(screen.rows == rows && screen.cols == cols, "\(name) at \(cols)x\(rows)")
                if rows > 0 && cols >= 20 {
                    #expect(!screen.text.isEmpty, "\(name) at \(cols)x\(rows) drew nothing")
                }
            }
        }
    }

    @Test func aTinyScreenLeavesThePageSizesUsable() {
        for rows in [0, 1, 4, 5] {
            let (state, _) = reduce(ViewState(), .resize(rows: rows, cols: 80), Fixtures.small())
            #expect(state.pageSize >= 1 && state.lintPageSize >= 1, "\(rows) rows")
        }
    }

    @Test func keysWorkWhileTheScreenIsTooSmall() {
        var state = ViewState()
        (state, _) = reduce(state, .resize(rows: 3, cols: 200), Fixtures.small())
        for action in [Action.pageDown, .moveDown, .showLints, .pageDown, .back, .bottom, .showHelp] {
            (state, _) = reduce(state, action, Fixtures.small())
        }
        #expect(state.pane == .help)
        #expect(reduce(state, .quit, Fixtures.small()).1 == .quit)
    }
}

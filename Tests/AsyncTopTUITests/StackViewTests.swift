import Testing
import AsyncTopModel
@testable import AsyncTopTUI

/// Async stacks in the dashboard: the details' Stack section, the WHERE column, the keys,
/// and the reducer asking the source for each suspension's stack once.
@Suite struct StackViewTests {
    private let size = (rows: 40, cols: 100)
    private static let ms = Fixtures.ms

    /// Innermost first: a runtime frame, the program's frame, a thunk, its caller, a frame
    /// without line information.
    static let fetchStack = TaskStack(frames: [
        StackFrame(function: "swift_task_suspend", runtime: true),
        StackFrame(function: "fetchPage(_:)", file: "/app/Sources/Demo/Fetch.swift", line: 41, column: 9),
        StackFrame(function: "reabstraction thunk helper", runtime: true),
        StackFrame(function: "closure #1 in fetchAll()", file: "/app/Sources/Demo/Fetch.swift", line: 12, inlined: true),
        StackFrame(function: "Demo+0x1f2c"),
    ], capturedAt: 1_900 * ms)

    /// ``Fixtures/small(version:)`` with fetch (2) spawned at a known site and suspended
    /// since `since`, with `stack`.
    static func snapshot(stack: TaskStack?, since: Nanos = 120 * ms, version: UInt64 = 1) -> Snapshot {
        var snapshot = Fixtures.small(version: version)
        let fetch = snapshot.tasks[1]
        snapshot.tasks[1] = TaskInfo(id: fetch.id, parentID: fetch.parentID, name: fetch.name, site: "Main.swift:7",
                                     state: fetch.state, history: fetch.history, createdAt: fetch.createdAt,
                                     stateSince: since, steps: fetch.steps, stack: stack)
        return snapshot
    }

    private func lines(_ snapshot: Snapshot, size: (rows: Int, cols: Int)? = nil,
                       _ configure: (inout ViewState) -> Void) -> [String] {
        var state = ViewState(demos: Fixtures.demos)
        configure(&state)
        return render(snapshot: snapshot, state: state, size: size ?? self.size).lines
    }

    /// The key's action applied to the state, as the terminal loop does.
    private func press(_ key: Character, _ state: ViewState, _ snapshot: Snapshot) -> (ViewState, Effect) {
        reduce(state, KeyBindings.action(for: .character(key), in: state)!, snapshot)
    }

    @Test func detailsShowTheStackInnermostFirstWithoutTheRuntimesFrames() throws {
        let snapshot = Self.snapshot(stack: Self.fetchStack)
        var state = ViewState()
        state.pane = .details(2)
        let shown = render(snapshot: snapshot, state: state, size: size).lines
        let at = try #require(shown.firstIndex { $0.hasPrefix(" Stack") }, "\(shown.joined(separator: "\n"))")
        #expect(Array(shown[at...(at + 4)]) == [
            " Stack captured at 1.900s  2 runtime frames hidden (a shows all)",
            "   at fetchPage(_:) (Fetch.swift:41)",
            "   at closure #1 in fetchAll() (Fetch.swift:12) inlined",
            "   at Demo+0x1f2c",
            "   spawned at Main.swift:7",
        ])
        // The site shows in one place: the origin says only how the task came.
        #expect(shown.contains("   origin        spawned"))

        let (all, effect) = press("a", state, snapshot)
        #expect(effect == .none && all.display.allFrames)
        let every = render(snapshot: snapshot, state: all, size: size).lines
        let top = try #require(every.firstIndex { $0.hasPrefix(" Stack") })
        #expect(Array(every[top...(top + 6)]) == [
            " Stack captured at 1.900s",
            "   at swift_task_suspend",
            "   at fetchPage(_:) (Fetch.swift:41)",
            "   at reabstraction thunk helper",
            "   at closure #1 in fetchAll() (Fetch.swift:12) inlined",
            "   at Demo+0x1f2c",
            "   spawned at Main.swift:7",
        ])
        #expect(!press("a", all, snapshot).0.display.allFrames, "a again hides them")
    }

    @Test func aTaskWithoutAStackSaysWhy() {
        let snapshot = Self.snapshot(stack: nil)
        func stackLine(_ id: TaskID, unavailable: [Action: String] = [:]) -> String? {
            lines(snapshot) { $0.pane = .details(id); $0.unavailable = unavailable }.first { $0.hasPrefix(" Stack") }
        }
        #expect(stackLine(2) == " Stack capturing…", "suspended")
        #expect(stackLine(7) == " Stack capturing…", "pending")
        #expect(stackLine(1) == " Stack none while it runs: a stack is read while the task is suspended")
        #expect(stackLine(4) == " Stack none: the task has finished (done)")
        #expect(stackLine(5) == " Stack none: the task has finished (failed)")
        #expect(stackLine(2, unavailable: [.toggleWhere: "this source cannot capture async stacks"])
            == " Stack this source cannot capture async stacks")
        // Without a stack the spawn site still shows, under the Stack line.
        let details = lines(snapshot) { $0.pane = .details(2) }
        let at = details.firstIndex(of: " Stack capturing…")
        #expect(at.map { details[$0 + 1] } == "   spawned at Main.swift:7")
    }

    @Test func aStackThatCouldNotBeReadInFullSaysWhy() {
        let stack = TaskStack(frames: [StackFrame(function: "Demo+0x1f2c")], capturedAt: 1_900 * Self.ms,
                              problem: "no debug information in the binary")
        let shown = lines(Self.snapshot(stack: stack)) { $0.pane = .details(2) }
        let at = shown.firstIndex(of: " Stack captured at 1.900s")
        #expect(at.map { Array(shown[($0 + 1)...($0 + 3)]) } == [
            "   at Demo+0x1f2c",
            "   ⚠ no debug information in the binary",
            "   spawned at Main.swift:7",
        ])
    }

    @Test func aLongStackIsCutToTheScreen() throws {
        let frames = (1...100).map { (n: Int) in StackFrame(function: "level\(n)()", file: "Deep.swift", line: n) }
        let snapshot = Self.snapshot(stack: TaskStack(frames: frames, capturedAt: 1_900 * Self.ms))
        for rows in [12, 30, 60] {
            // Scrolled to the Stack line, the 14th of the details (clamped on taller screens).
            let shown = lines(snapshot, size: (rows, 100)) { $0.pane = .details(2); $0.detailsScroll = 13 }
            let at = try #require(shown.firstIndex { $0.hasPrefix(" Stack") }, "\(rows) rows")
            let listed = shown[(at + 1)...].prefix { $0.hasPrefix("   at ") }
            #expect(listed.first == "   at level1() (Deep.swift:1)")
            // The rest of the details follows within the pane (it scrolls): the cut line, the site.
            let more = at + 1 + listed.count
            #expect(more < rows - 1, "\(rows) rows: the cut line is on screen")
            #expect(shown[more] == "   … \(100 - listed.count) more frames", "\(rows) rows")
            #expect(listed.count < rows - 4, "\(rows) rows: the stack leaves room for the rest")
        }
    }

    @Test func theWhereColumnShowsTheInnermostLineOfTheProgram() throws {
        let snapshot = Self.snapshot(stack: Self.fetchStack)
        let plain = lines(snapshot) { _ in }
        #expect(!plain[4].contains("WHERE"))
        let (state, _) = press("w", ViewState(demos: Fixtures.demos), snapshot)
        #expect(state.showsWhere)
        let shown = render(snapshot: snapshot, state: state, size: size).lines
        // The text under the title, by screen column.
        let title = Array(shown[4])
        let column = try #require((0..<title.count).first { String(title[$0...].prefix(5)) == "WHERE" })
        func cell(_ id: TaskID, in lines: [String]) -> String {
            let line = Array(lines.first { $0.hasPrefix("      \(id) ") } ?? "")
            return String(line.dropFirst(column).prefix(18))
        }
        #expect(cell(2, in: shown) == "Fetch.swift:41    ", "\(shown.joined(separator: "\n"))")
        // Tasks without a stack leave it blank.
        #expect(cell(1, in: shown).allSatisfy { $0 == " " })
        #expect(cell(3, in: shown).allSatisfy { $0 == " " })
        #expect(!press("w", state, snapshot).0.showsWhere, "w again hides it")

        // A frame without line information shows its function.
        let bare = TaskStack(frames: [StackFrame(function: "swift_task_suspend", runtime: true),
                                      StackFrame(function: "Demo+0x1f2c")], capturedAt: 1_900 * Self.ms)
        let unsymbolicated = render(snapshot: Self.snapshot(stack: bare), state: state, size: size).lines
        #expect(cell(2, in: unsymbolicated) == "Demo+0x1f2c       ")
    }

    @Test func theWhereColumnMakesWayOnNarrowScreens() {
        let snapshot = Self.snapshot(stack: Self.fetchStack)
        for cols in [80, 100, 140] {
            let shown = lines(snapshot, size: (30, cols)) { $0.showsWhere = true }
            #expect(shown[4].contains("WHERE") && shown.contains { $0.contains("Fetch.swift:41") }, "\(cols) columns")
        }
        // Too narrow for it: the table is the one without it.
        for cols in [40, 50, 60, 70, 78] {
            let with = lines(snapshot, size: (30, cols)) { $0.showsWhere = true }
            let without = lines(snapshot, size: (30, cols)) { _ in }
            #expect(with == without, "\(cols) columns")
            #expect(with[4].contains("NAME"), "\(cols) columns")
        }
    }

    @Test func everySizeStillDrawsWithStacks() {
        let snapshot = Self.snapshot(stack: Self.fetchStack)
        var states: [(String, ViewState)] = []
        var table = ViewState()
        table.showsWhere = true
        states.append(("where", table))
        for all in [false, true] {
            var details = ViewState()
            details.pane = .details(2)
            details.display.allFrames = all
            states.append(("details all=\(all)", details))
        }
        for rows in SizeGridTests.rows {
            for cols in SizeGridTests.cols {
                for (name, state) in states {
                    let (resized, _) = reduce(state, .resize(rows: rows, cols: cols), snapshot)
                    let screen = render(snapshot: snapshot, state: resized, size: (rows, cols))
                    #expect(screen.rows == rows && screen.cols == cols, "\(name) at \(cols)x\(rows)")
                    if rows > 0 && cols >= 20 { #expect(!screen.text.isEmpty, "\(name) at \(cols)x\(rows) drew nothing") }
                }
            }
        }
    }

    @Test func helpListsTheStackKeysAndStillFits() throws {
        let help = lines(Fixtures.small(), size: (30, 100)) { $0.pane = .help }
        #expect(help.contains("   w a               WHERE column: the line each task waits at; a: all frames in stacks"))
        #expect(help.contains("   + = -             expand, collapse the selected subtree"))
        // The last legend is on the last row above the footer.
        #expect(help[28] == " Marks  ! cancel requested  ⚠ named by a lint (l)", "\(help.joined(separator: "\n"))")
        // A source that cannot capture stacks: the line goes, and the help says why.
        let without = lines(Fixtures.small(), size: (30, 100)) {
            $0.pane = .help
            $0.unavailable = [.toggleWhere: "this source cannot capture async stacks",
                              .toggleAllFrames: "this source cannot capture async stacks"]
        }
        #expect(!without.contains { $0.contains("WHERE column") })
        #expect(without.contains(" Not here  this source cannot capture async stacks"))
        // A replay that cannot cancel, launch or capture: everything still fits.
        let replay = lines(Fixtures.small(), size: (30, 100)) {
            $0.pane = .help
            $0.unavailable = [.cancelSelected: "a replay cannot cancel tasks", .showDemos: "a replay cannot launch demos",
                              .toggleWhere: "a replay cannot capture stacks", .toggleAllFrames: "a replay cannot capture stacks"]
        }
        #expect(replay[28].hasPrefix(" Not here"), "\(replay.joined(separator: "\n"))")
    }
}

/// The reducer asks for the stacks the views lack, once per suspension.
@Suite struct StackRequestTests {
    private typealias Fixture = StackViewTests

    @Test func openingTheDetailsAsksOncePerSuspension() {
        let snapshot = Fixture.snapshot(stack: nil)
        var state = ViewState()
        state.selectedID = 2
        var effect: Effect
        (state, effect) = reduce(state, .activate, snapshot)
        #expect(state.pane == .details(2))
        #expect(effect == .requestStacks([2]))
        // The next snapshots of the same suspension: asked already.
        (state, effect) = reduce(state, .refreshed, Fixture.snapshot(stack: nil, version: 2))
        #expect(effect == .none)
        (state, effect) = reduce(state, .refreshed, Fixture.snapshot(stack: nil, version: 3))
        #expect(effect == .none)
        // Closing and opening again does not ask again either.
        (state, _) = reduce(state, .back, snapshot)
        (state, effect) = reduce(state, .activate, snapshot)
        #expect(effect == .none)
        // The stack came.
        let later = Fixture.snapshot(stack: Fixture.fetchStack, version: 4)
        (state, effect) = reduce(state, .refreshed, later)
        #expect(effect == .none)
        // A new suspension (a new stateSince): asked for once more.
        let next = Fixture.snapshot(stack: nil, since: 1_950 * Fixtures.ms, version: 5)
        (state, effect) = reduce(state, .refreshed, next)
        #expect(effect == .requestStacks([2]))
        (state, effect) = reduce(state, .refreshed, next)
        #expect(effect == .none)
        // The memo keeps only suspensions still going on.
        #expect(state.stackRequests == [StackRequest(task: 2, since: 1_950 * Fixtures.ms)])
    }

    @Test func runningAndFinishedTasksAreNotAskedFor() {
        for id: TaskID in [1, 4, 5, 6] {
            var state = ViewState()
            state.selectedID = id
            let (opened, effect) = reduce(state, .activate, Fixture.snapshot(stack: nil))
            #expect(opened.pane == .details(id))
            #expect(effect == .none, "task \(id)")
            #expect(reduce(opened, .refreshed, Fixture.snapshot(stack: nil, version: 2)).1 == .none)
        }
        // Pending: asked for.
        var pending = ViewState()
        pending.selectedID = 7
        #expect(reduce(pending, .activate, Fixture.snapshot(stack: nil)).1 == .requestStacks([7]))
    }

    @Test func theWhereColumnAsksForTheVisibleRowsInOneEffect() {
        let snapshot = Fixtures.small()
        var state = ViewState()
        var effect: Effect
        (state, effect) = reduce(state, KeyBindings.action(for: .character("w"), in: state)!, snapshot)
        // fetch and worker-a are suspended, idle is pending; the others run or have finished.
        #expect(effect == .requestStacks([2, 3, 7]))
        (state, effect) = reduce(state, .refreshed, Fixtures.small(version: 2))
        #expect(effect == .none)
        // Off and on again: the same suspensions, asked for already.
        (state, _) = reduce(state, .toggleWhere, snapshot)
        (state, effect) = reduce(state, .toggleWhere, snapshot)
        #expect(effect == .none)
        // worker-a suspends anew: only it is asked for.
        var next = Fixtures.small(version: 3)
        next.tasks[2] = next.tasks[2].with(stateSince: 1_990 * Fixtures.ms)
        (state, effect) = reduce(state, .refreshed, next)
        #expect(effect == .requestStacks([3]))
    }

    @Test func theWhereColumnAsksOnlyForRowsOnScreen() {
        // Task i is suspended when i % 4 is 1, pending when 2.
        let snapshot = Fixtures.large(count: 400)
        var state = ViewState()
        (state, _) = reduce(state, .resize(rows: 12, cols: 80), snapshot)
        state.selectedID = 200
        let list = TaskList(snapshot: snapshot, options: state.listOptions)
        let top = TaskTableView.firstVisibleRow(scrollTop: state.scrollTop, selected: list.row(of: 200),
                                                count: list.rows.count, visible: state.pageSize)
        #expect(top > 0, "scrolled to the selection")
        let onScreen = (top..<(top + state.pageSize)).map { list.task(at: $0) }
        let expected = onScreen.filter { $0.state.kind == .suspended || $0.state.kind == .pending }.map(\.id)
        #expect(!expected.isEmpty && expected.count <= state.pageSize)
        let (_, effect) = reduce(state, .toggleWhere, snapshot)
        #expect(effect == .requestStacks(expected))
    }

    @Test func theLintsViewAsksForTheStacksOfItsTasks() {
        // The deadlock's worker-a (3) and idle (7) and the long step's fetch (2) wait: asked for
        // once, so that the lints can say where.
        let snapshot = Fixtures.withLints()
        var state = ViewState()
        var effect: Effect
        (state, effect) = reduce(state, .showLints, snapshot)
        #expect(state.pane == .lints)
        guard case .requestStacks(let ids) = effect else {
            Issue.record("no request: \(effect)")
            return
        }
        #expect(Set(ids) == [2, 3, 7])
        (state, effect) = reduce(state, .refreshed, Fixtures.withLints(version: 2))
        #expect(effect == .none, "asked once per suspension")
    }

    @Test func aDeadlockLintSaysWhereEachPartyWaits() {
        var snapshot = Fixtures.withLints()
        func at(_ file: String, _ line: Int) -> TaskStack {
            TaskStack(frames: [StackFrame(function: "Lock.acquire()", runtime: true),
                               StackFrame(function: "transfer()", file: "/app/\(file)", line: line)], capturedAt: 1_990 * Fixtures.ms)
        }
        snapshot.tasks[2] = snapshot.tasks[2].with(stack: at("Bank.swift", 41))
        snapshot.tasks[6] = snapshot.tasks[6].with(stack: at("Bank.swift", 57))
        let deadlock = Lints.evaluate(snapshot).first { $0.kind == .deadlock }
        #expect(deadlock?.message == "worker-a (3) waits on Lock db at Bank.swift:41, held by idle (7), which waits on Lock cache at Bank.swift:57, held by worker-a (3)")
    }

    @Test func aRefreshKeepsTheStatusAndASourceWithoutStacksIsNotAsked() {
        var state = ViewState()
        state.status = "cancelling task 3…"
        state.pane = .details(2)
        let (refreshed, effect) = reduce(state, .refreshed, Fixture.snapshot(stack: nil))
        #expect(effect == .requestStacks([2]))
        #expect(refreshed.status == "cancelling task 3…")

        var without = ViewState()
        without.unavailable = [.toggleWhere: "this source cannot capture async stacks",
                               .toggleAllFrames: "this source cannot capture async stacks"]
        without.selectedID = 2
        #expect(reduce(without, .activate, Fixture.snapshot(stack: nil)).1 == .none)
        let (pressed, _) = reduce(without, .toggleWhere, Fixture.snapshot(stack: nil))
        #expect(!pressed.showsWhere && pressed.status == "this source cannot capture async stacks")
    }
}

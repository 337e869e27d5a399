import Testing
import AsyncTopModel
@testable import AsyncTopTUI

@Suite struct RenderTests {
    private let size = (rows: 30, cols: 100)

    private func screen(_ configure: (inout ViewState) -> Void = { _ in }) -> Screen {
        var state = ViewState(demos: Fixtures.demos)
        configure(&state)
        return render(snapshot: Fixtures.small(), state: state, size: size)
    }

    @Test func headerShowsLoopCountsAndRates() {
        let lines = screen().lines
        #expect(lines[0].hasPrefix(" asynctop · loop main · running"))
        #expect(lines[0].hasSuffix("t=2.000s"))
        #expect(lines[1] == " Tasks 1 pending  1 running  2 suspended  1 done  1 failed  1 cancelled  spawned 7")
        #expect(lines[2] == " Steps/s 12.3k  Busy 45%  Lag 1.2ms (max 3.4ms)  Ready 1  Timers 2  Dropped 10")
        // parser (5) failed 1.6 s ago and no one took its error: one lint.
        #expect(lines[3] == " View tree  Filter all  Sort id▲   1 lint")
    }

    @Test func aLoopThatCouldNotCheckItsInstrumentationSaysSo() {
        var snapshot = Fixtures.small()
        snapshot.stats.instrumentationWarning = "runtime layout not as expected: running uninstrumented"
        let lines = render(snapshot: snapshot, state: ViewState(demos: Fixtures.demos), size: (rows: 30, cols: 140)).lines
        #expect(lines[3].hasSuffix("1 lint   runtime layout not as expected: running uninstrumented"), "\(lines[3])")
    }

    @Test func taskTreeWithColumns() {
        let lines = screen().lines
        #expect(Array(lines[4...11]) == [
            "     ID STATE        NAME                WAITING ON       EXECUTOR       AGE    BUSY   STEPS     LAT",
            "      1 ▶ running    main                                 loop          2.0s  12.0ms      40  15.0µs",
            "      2 ‖ suspended  ├─ fetch            sleep until 2.5… loop          1.9s   2.0ms       3  40.0µs",
            "      3 ‖ suspended! │  ├─ worker-a      Lock db          loop          1.8s     0ns    1.5k     0ns",
            "      4 ✓ done       │  └─ worker-b                       loop         500ms     0ns       2     0ns",
            "      5 ✗ failed     ├─ ⚠ parser         bad input        loop         100ms     0ns       1     0ns",
            "      6 ⊘ cancelled  ├─ janitor          shutdown         loop         210ms     0ns       0     0ns",
            "      7 ○ pending    └─ idle                              loop        10.0ms     0ns       0     0ns",
        ])
        #expect(lines[12] == "")
    }

    @Test func executorStripAndFooter() {
        let lines = screen().lines
        #expect(Array(lines[25...29]) == [
            " Executors  (x for queues)",
            " loop (loop)  busy 1/1  queue 1: task 7",
            " io (threads)  busy 1/2  queue 5: task 3, item 23",
            "",
            "F1Help   F2Demos  F5Tree   F6Sort   F9Cancel F10Quit   /Search fFilter SpcPause  xExec   LLoop",
        ])
    }

    @Test func selectionIsHighlightedAndFinishedTasksAreDimmed() {
        let screen = screen { $0.selectedID = 3 }
        let theme = Theme(colors: true)
        #expect(screen[7, 30].style == theme.selection)
        #expect(screen[5, 30].style == .plain)
        #expect(screen[8, 30].style.attributes.contains(.dim))
        #expect(screen[8, 8].style == theme.state(.done).adding(.dim))
        #expect(screen[9, 8].style.foreground == .red)
    }

    @Test func asciiAndMonochromeFallbacks() {
        let screen = screen { $0.display = DisplayOptions(colors: false, unicode: false) }
        #expect(screen.lines[6] == "      2 = suspended  |- fetch            sleep until 2.5~ loop          1.9s   2.0ms       3  40.0us")
        #expect(screen.lines[8].contains("|  `- worker-b"))
        let colored = (0..<screen.rows).contains { row in
            (0..<screen.cols).contains { screen[row, $0].style.foreground != .default || screen[row, $0].style.background != .default }
        }
        #expect(!colored)
        #expect(screen[5, 0].style == Style(attributes: .reverse))
    }

    @Test func collapsedFlatAndFilteredViews() {
        #expect(screen { $0.collapsed = [2] }.lines[6].contains("├─ ▸ fetch"))
        #expect(screen { $0.collapsed = [2] }.lines[7].contains("├─ ⚠ parser"))
        let flat = screen { $0.layout = .flat }
        #expect(flat.lines[7].hasPrefix("      3 ‖ suspended! worker-a"))
        let empty = render(snapshot: Snapshot(), state: ViewState(), size: size)
        #expect(empty.lines[5] == " No tasks.")
    }

    @Test func pausedShowsInTheTitle() {
        #expect(screen { $0.isPaused = true }.lines[0].contains(" PAUSED "))
        #expect(!screen().lines[0].contains("PAUSED"))
    }

    @Test func detailsShowEveryFieldAndCancellationProvenance() {
        var state = ViewState(demos: Fixtures.demos)
        state.pane = .details(2)
        // Tall enough for the children, below the stack and the history.
        let lines = render(snapshot: Fixtures.small(), state: state, size: (rows: 40, cols: 100)).lines
        #expect(Array(lines[4...7]) == [
            " Task 2 fetch",
            "   state         ‖ suspended  suspended on sleep until 2.500s",
            "   parent        1 main",
            "   origin        spawned",
        ])
        #expect(lines.contains("   latency       last 40.0µs  max 0ns"))
        #expect(lines.contains(" Cancellation not requested"))
        #expect(lines.contains(" History"))
        #expect(lines.contains("       0.120s  ‖ suspended  sleep"))
        #expect(lines.contains(" Children (2)"))
        #expect(lines.contains("   3      ‖ suspended! worker-a"))

        let cancelled = screen { $0.pane = .details(6) }.lines
        #expect(cancelled.contains("   requested by  task 1"))
        #expect(cancelled.contains("   message       \"shutdown\""))
        #expect(cancelled.contains("   delivered     at 0.510s in sleep"))
        #expect(cancelled.contains("   outcome       cancelled"))
    }

    @Test func detailsOfATaskWaitingOnASocketShowItsBytesAndIdleTime() {
        let second: Nanos = 1_000_000_000
        let reader = TaskInfo(id: 4, name: "client", state: .suspended(.resource(kind: "readline", id: 40, name: "127.0.0.1:6379 (fd 9)")),
                              stateSince: 1 * second)
        let socket = ResourceInfo(id: 40, kind: "TCP", name: "127.0.0.1:6379 (fd 9)", waiters: [4],
                                  detail: "readline, in 1.2 KiB, out 300 B, idle 2.1s")
        let snapshot = Snapshot(takenAt: 3 * second + second / 10, tasks: [reader], resources: [socket])
        var state = ViewState()
        state.pane = .details(4)
        let lines = render(snapshot: snapshot, state: state, size: (rows: 30, cols: 100)).lines
        let at = lines.firstIndex { $0.hasPrefix("   waiting on") }
        #expect(at.map { lines[$0] } == "   waiting on    readline 127.0.0.1:6379 (fd 9) for 2.1s")
        #expect(at.map { lines[$0 + 1] } == "                 TCP: readline, in 1.2 KiB, out 300 B, idle 2.1s")
    }

    @Test func executorsPaneListsTheLoopsDescriptorsUnderIt() {
        let reader = TaskInfo(id: 4, name: "client", state: .suspended(.resource(kind: "readline", id: 40, name: "127.0.0.1:6379 (fd 9)")))
        let snapshot = Snapshot(
            tasks: [reader], executors: [ExecutorInfo(name: "app", kind: .loop, workers: [WorkerInfo(name: "app")])],
            resources: [ResourceInfo(id: 40, kind: "TCP", name: "127.0.0.1:6379 (fd 9)", waiters: [4],
                                     detail: "readline, in 1.2 KiB, out 300 B, idle 2.1s"),
                        ResourceInfo(id: 41, kind: "Server", name: "127.0.0.1:8080 (fd 7)", detail: "idle 5.0s"),
                        ResourceInfo(id: 42, kind: "Lock", name: "db", detail: "locked")])
        var state = ViewState()
        state.pane = .executors
        let lines = render(snapshot: snapshot, state: state, size: (rows: 20, cols: 100)).lines
        let at = try? #require(lines.firstIndex { $0.hasPrefix("   descriptors 2") })
        #expect(at.map { Array(lines[($0 + 1)...($0 + 2)]) } == [
            "   Server 127.0.0.1:8080 (fd 7)  idle 5.0s",
            "   TCP 127.0.0.1:6379 (fd 9)  ← client (4)  readline, in 1.2 KiB, out 300 B, idle 2.1s",
        ], "\(lines)")
    }

    @Test func executorsPaneListsWorkersAndQueueInOrder() {
        let lines = screen { $0.pane = .executors }.lines
        #expect(Array(lines[8...13]) == [
            " io (threads)  workers 1/2 busy  queue 5",
            "   io-1  running item 21 read for task 2  for 500ms",
            "   io-2  idle",
            "   1. item 22 task 3 write  waiting 200ms",
            "   2. item 23  waiting 100ms",
            "   … 3 more waiting",
        ])
    }

    @Test func executorsPaneSummarizesHowLongWorkWaited() {
        var waits = DurationHistogram(precision: 4)
        for ms: UInt64 in [1, 2, 3, 4, 100] { waits.record(ms * 1_000_000) }
        var snapshot = Fixtures.small()
        snapshot.executors = [ExecutorInfo(name: "io", kind: .threads, waitHistogram: waits),
                              ExecutorInfo(name: "cold", kind: .threads, waitHistogram: DurationHistogram())]
        var state = ViewState(demos: Fixtures.demos)
        state.pane = .executors
        let lines = render(snapshot: snapshot, state: state, size: size).lines
        let io = lines.first { $0.hasPrefix(" io (threads)") }
        #expect(io?.contains("waited p50 \(formatDuration(waits.p50))  p99 \(formatDuration(waits.p99))  max 100ms  n 5") == true, "\(io ?? "")")
        #expect(lines.first { $0.hasPrefix(" cold (threads)") }?.contains("waited") == false, "nothing measured, nothing said")
    }

    @Test func cancelDialogShowsTheSubtreeAndTheMessage() {
        let lines = screen { $0.selectedID = 2; $0.prompt = .confirmCancel(task: 2, message: "bye") }.lines
        #expect(lines.contains { $0.contains("┌─ Cancel task 2 fetch? ─") })
        #expect(lines.contains { $0.contains("│ This asks 2 tasks to stop:") })
        #expect(lines.contains { $0.contains("│   2       ‖ suspended  fetch") })
        #expect(lines.contains { $0.contains("│   3       ‖ suspended! worker-a") })
        #expect(!lines.contains { $0.contains("│   4 ") })
        #expect(lines.contains { $0.contains("│ Message (optional): bye_") })
    }

    @Test func searchPromptAndDemoLauncher() {
        #expect(screen { $0.prompt = .search(query: "wor", origin: nil) }.lines[29]
            == "Search: wor_   Enter done  Esc cancel")
        let demos = screen { $0.pane = .demos; $0.demoSelection = 1 }
        #expect(demos.lines[5].contains("│ gather    gather three fetches, one fails"))
        #expect(demos.lines[6].contains("│ timeouts  wait_for cancels a slow task"))
        #expect(demos[6, 20].style == Theme(colors: true).selection)
    }

    @Test func theLauncherExplainsTheHighlightedDemo() {
        let about = "Two tasks take two locks in opposite order and wait for each other for ever.\n\n"
            + "In the dashboard each waits on the lock the other holds."
        var state = ViewState(demos: [DemoEntry(name: "gather", summary: "results in order", about: "Gathers three."),
                                      DemoEntry(name: "deadlock", summary: "two locks", about: about)])
        state.pane = .demos
        state.demoSelection = 1
        let lines = render(snapshot: Fixtures.small(), state: state, size: (rows: 30, cols: 60)).lines
        let box = lines.joined(separator: "\n")
        #expect(box.contains("│ deadlock  two locks"))
        // Wrapped to the box (52 columns inside), the paragraphs a blank line apart.
        #expect(lines.contains { $0.contains("│ Two tasks take two locks in opposite order and wait ") })
        #expect(lines.contains { $0.contains("│ for each other for ever.") })
        #expect(lines.contains { $0.contains("│ In the dashboard each waits on the lock the other") })
        #expect(!box.contains("Gathers three."))
    }

    @Test func whatDemosSaidShowsInTheStripAndTheDetails() {
        let said = [TraceEvent(at: 1_200 * Fixtures.ms, event: "output", task: 2, name: "fetch", detail: "got page 1"),
                    TraceEvent(at: 1_500 * Fixtures.ms, event: "output", task: 2, name: "fetch", detail: "got page 2")]
        let snapshot = Fixtures.small()
        let list = TaskList(snapshot: snapshot, options: ViewState().listOptions)
        let lints = LintReport(snapshot: snapshot, thresholds: LintThresholds())
        let tasks = render(list: list, lints: lints, output: said, state: ViewState(), size: size).lines
        let strip = try! #require(tasks.first { $0.hasPrefix(" Executors") })
        #expect(strip.hasSuffix("  » fetch (2): got page 2"), "the latest line")
        var details = ViewState()
        details.pane = .details(2)
        let lines = render(list: list, lints: lints, output: said, state: details, size: size).lines
        let at = try! #require(lines.firstIndex(of: " Said"))
        #expect(lines[at + 1].contains("1.200s") && lines[at + 1].hasSuffix("got page 1"))
        #expect(lines[at + 2].hasSuffix("got page 2"))
        // Without output, neither shows.
        #expect(!screen().lines.contains { $0.contains("»") })
    }

    @Test func wrappingKeepsParagraphsAndBreaksLongWords() {
        #expect("one two three four".wrapped(to: 9) == ["one two", "three", "four"])
        #expect("a\n\nb".wrapped(to: 5) == ["a", "", "b"])
        #expect("abcdefghij".wrapped(to: 4) == ["abcd", "efgh", "ij"])
    }

    @Test func helpListsKeysStatesAndMarks() {
        let help = screen { $0.pane = .help }.lines
        #expect(help.contains("   F9 c              cancel the selected task (asks first)"))
        #expect(help.contains("   l r               lints: what looks wrong; r: resources and their waiters; Enter goes to a task"))
        #expect(help.contains(" Marks  ! cancel requested  ⚠ named by a lint (l)"))
    }

    @Test func tooSmallScreenSaysSoInsteadOfDrawing() {
        let small = render(snapshot: Fixtures.small(), state: ViewState(), size: (5, 20))
        #expect(small.lines == [
            "Terminal too small",
            "(20x5). asynctop",
            "needs at least",
            "40x12. Enlarge it,",
            "or press q to quit.",
        ])
    }

    @Test func deepTreeKeepsTheNameVisible() {
        let tasks = (1...200).map { TaskInfo(id: TaskID($0), parentID: $0 == 1 ? nil : TaskID($0 - 1), name: "n\($0)") }
        var state = ViewState()
        state.selectedID = 200
        let lines = render(snapshot: Snapshot(tasks: tasks), state: state, size: size).lines
        #expect(lines[24].contains("└─ n200"))
    }
}

@Suite struct ShieldedDetailsTests {
    @Test func detailsNameTheTasksThatShieldedIt() {
        var snapshot = Fixtures.small()
        let index = snapshot.tasks.firstIndex { $0.id == 3 }!
        let task = snapshot.tasks[index]
        snapshot.tasks[index] = TaskInfo(id: task.id, parentID: task.parentID, name: task.name, origin: task.origin,
                                         state: task.state, createdAt: task.createdAt, shieldedBy: [2, 5])
        var state = ViewState(demos: Fixtures.demos)
        state.pane = .details(3)
        let lines = render(snapshot: snapshot, state: state, size: (rows: 40, cols: 100)).lines
        #expect(lines.contains("   shielded by   task 2, task 5"), "\(lines.joined(separator: "\n"))")
        state.pane = .details(2)
        #expect(!render(snapshot: snapshot, state: state, size: (rows: 40, cols: 100)).lines.contains { $0.contains("shielded by") })
    }
}

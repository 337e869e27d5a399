import Testing
import AsyncTopModel
@testable import AsyncTopTUI

/// The loop view (`L`): charts of the loop's series and of the lint count, its histograms.
@Suite struct LoopViewTests {
    static let titles = ["Tasks live", "Spawned/s", "Steps/s", "Busy", "Lag p99", "Ready queue", "Lints"]

    private func loopScreen(_ snapshot: Snapshot = Fixtures.withSeries(), unicode: Bool = true,
                            size: (rows: Int, cols: Int) = (60, 100), history: LintHistory = LintHistory()) -> Screen {
        var state = ViewState()
        state.pane = .loop
        state.display.unicode = unicode
        state.lintHistory = history
        return render(snapshot: snapshot, state: state, size: size)
    }

    /// The row of the chart titled `title` (its title line starts the row), under the header.
    private func titleRow(_ screen: Screen, _ title: String) -> Int? {
        screen.lines.indices.dropFirst(4).first { screen.lines[$0].hasPrefix(" \(title) ") }
    }

    private func cells(_ screen: Screen, row: Int) -> [Character] { (0..<screen.cols).map { screen[row, $0].glyph } }

    @Test func keyLOpensTheLoopViewAndEscOrLCloseIt() {
        let snapshot = Fixtures.withSeries()
        func press(_ key: Key, _ state: ViewState) -> (ViewState, Effect) {
            reduce(state, KeyBindings.action(for: key, in: state)!, snapshot)
        }
        let (open, effect) = press(.character("L"), ViewState())
        #expect(open.pane == .loop && effect == .none)
        #expect(press(.escape, open).0.pane == .tasks)
        #expect(press(.character("L"), open).0.pane == .tasks)
        #expect(press(.character("q"), open).1 == .quit)
        // Other views' keys still lead away from it.
        #expect(press(.character("l"), open).0.pane == .lints)
        #expect(KeyBindings.action(for: .character("l"), in: ViewState()) == .showLints)
    }

    @Test func helpAndFooterListL() {
        var state = ViewState()
        state.pane = .help
        let help = render(snapshot: Fixtures.small(), state: state, size: (30, 100)).lines
        #expect(help.contains { $0.hasPrefix("   x L ") && $0.hasSuffix("L: the loop over time: charts and histograms") }, "\(help)")
        #expect(help[28].hasPrefix(" Marks"), "the help still fits 30 rows")
        let footer = render(snapshot: Fixtures.small(), state: ViewState(), size: (30, 100)).lines[29]
        #expect(footer.hasSuffix("xExec   LLoop"))
        #expect(loopScreen().lines[59] == "EscBack   LBack   F10Quit")
    }

    @Test func everyChartWithItsValueMaximumAndTimeAxis() {
        let screen = loopScreen()
        let rows = Self.titles.map { titleRow(screen, $0) }
        #expect(rows.allSatisfy { $0 != nil }, "\(screen.text)")
        // In the order listed, each title followed by its rows of braille.
        let found = rows.compactMap { $0 }
        #expect(found == found.sorted())
        let lines = screen.lines
        #expect(lines[found[0]].hasPrefix(" Tasks live 11 (1 pending · 1 running · 9 suspended)  max 16"))
        #expect(lines[found[3]].hasPrefix(" Busy 20%  max 95%"))
        #expect(lines[found[4]].hasPrefix(" Lag p99 100µs  max 5.0ms"))
        #expect(lines[found[5]].hasPrefix(" Ready queue 0  max 40"))
        // 98 cells of two seconds each.
        for row in found { #expect(lines[row].hasSuffix("-196s … now"), "\(lines[row])") }
        #expect(cells(screen, row: found[0] + 1).contains(where: Chart.isBraille))
        #expect(!screen.text.contains("?"), "every glyph drawable")
    }

    /// Second 100 of 120 is a spike: 20 s before now, the right half of the 88th cell in
    /// braille (98 cells of two seconds, the newest second at the right of the last cell at
    /// column 98); the 78th column in ASCII (98 columns of one second).
    @Test func aSpikeIsDrawnWhereItsSecondIs() throws {
        let braille = loopScreen()
        for title in ["Busy", "Lag p99", "Ready queue"] {
            let top = try #require(titleRow(braille, title)) + 1
            let marked = cells(braille, row: top).indices.filter { braille[top, $0].glyph != " " }
            #expect(marked == [88], "\(title): \(braille.line(top))")
            let dots = braille[top, 88].glyph.unicodeScalars.first!.value - 0x2800
            #expect(dots & 0x47 == 0 && dots & 0xB8 != 0, "only the right column: \(braille[top, 88].glyph)")
        }
        let ascii = loopScreen(unicode: false)
        // Busy 95% of 100% fills 23 of 24 levels, the others their chart's top.
        for (title, glyph) in [("Busy", "|"), ("Lag p99", "#"), ("Ready queue", "#")] as [(String, Character)] {
            let top = try #require(titleRow(ascii, title)) + 1
            let marked = cells(ascii, row: top).indices.filter { ascii[top, $0].glyph != " " }
            #expect(marked == [78], "\(title): \(ascii.line(top))")
            #expect(ascii[top, 78].glyph == glyph)
        }
    }

    @Test func asciiDrawsNoBraille() throws {
        let screen = loopScreen(unicode: false)
        #expect(screen.text.allSatisfy { $0.isASCII })
        #expect(!screen.text.contains(where: Chart.isBraille))
        for title in Self.titles { #expect(titleRow(screen, title) != nil, "\(title)") }
        let tasks = try #require(titleRow(screen, "Tasks live"))
        #expect(screen.lines[tasks].hasSuffix("-98s .. now"))
        // The live count is 9 to 15 and the top 16: the bottom row is full where there are samples.
        #expect(screen.line(tasks + 6).hasSuffix(String(repeating: "#", count: 98)))
    }

    @Test func histogramsAreSummedUpAndBarred() {
        let snapshot = Fixtures.withSeries()
        let lines = loopScreen(size: (60, 100)).lines
        let step = snapshot.stats.stepHistogram!
        let summary = " Step times  n 721  p50 \(formatDuration(step.p50))  p90 \(formatDuration(step.p90))"
            + "  p99 \(formatDuration(step.p99))  max 30.0ms"
        #expect(lines.contains(summary), "\(lines)")
        #expect(lines.contains { $0.hasPrefix(" Latencies  n 330") })
        #expect(lines.contains { $0.hasPrefix(" Timer lag  n 91") })
        // Wide: the histograms beside the charts, with a bar per bucket.
        let wide = loopScreen(size: (60, 200)).lines
        #expect(wide[4].hasSuffix("Step times  n 721"), "\(wide[4])")
        #expect(wide.contains { $0.hasSuffix("≤ 10.2µs ██████████████████████████████    500") })
        #expect(wide.contains { $0.hasSuffix("≤ 30.4ms ▏                                   1") })
    }

    @Test func withoutASeriesOnlyTheLintsAreCharted() {
        for series in [nil, LoopSeries()] {
            var snapshot = Fixtures.small()
            snapshot.stats.series = series
            var history = LintHistory()
            history.record(at: 1_000_000_000, count: 3)
            history.record(at: 2_000_000_000, count: 1)
            let screen = loopScreen(snapshot, history: history)
            #expect(screen.lines[4].hasPrefix(" No one-second series from this loop"))
            #expect(titleRow(screen, "Lints") != nil)
            #expect(screen.lines.first { $0.hasPrefix(" Lints") }?.hasPrefix(" Lints 1  max 3") == true)
            for title in Self.titles.dropLast() { #expect(titleRow(screen, title) == nil, "\(title)") }
            #expect(!screen.text.contains("Step times"))
        }
    }

    @Test func theLintChartFollowsTheLintHistory() throws {
        var history = LintHistory()
        history.record(at: 110_000_000_000, count: 4)
        history.record(at: 120_300_000_000, count: 2)
        let screen = loopScreen(size: (60, 100), history: history)
        let row = try #require(titleRow(screen, "Lints"))
        #expect(screen.lines[row].hasPrefix(" Lints 2  max 4"))
        // Second 110, 10 s before now: index 185 of 196, the right half of cell 92 (column
        // 93); second 120 the right half of the last cell (column 98). Only 4 reaches the top.
        let top = cells(screen, row: row + 1).indices.filter { screen[row + 1, $0].glyph != " " }
        #expect(top == [93])
        let bottom = cells(screen, row: row + 6).indices.filter { screen[row + 6, $0].glyph != " " }
        #expect(bottom == [93, 98])
    }

    @Test func smallScreensShowFewerChartsThenSayTheyAreTooSmall() {
        let small = loopScreen(size: (12, 40))
        #expect(titleRow(small, "Tasks live") != nil)
        #expect(titleRow(small, "Lints") == nil, "fewer charts")
        let shown = Self.titles.filter { titleRow(small, $0) != nil }.count
        #expect(shown >= 1 && shown < Self.titles.count)
        // The view in a rectangle of 20 × 6 cells, and in one too short for a chart.
        for (rows, cols) in [(6, 20), (2, 60), (6, 12)] {
            var screen = Screen(rows: rows, cols: cols)
            let context = RenderContext(list: TaskList(snapshot: Fixtures.withSeries(), options: ViewState().listOptions),
                                        lints: LintReport(snapshot: Fixtures.withSeries(), thresholds: LintThresholds()),
                                        state: ViewState(), layout: Layout(rows: rows), cols: cols)
            LoopView(context: context).draw(into: &screen, top: 0, left: 0, rows: rows, cols: cols)
            if cols >= LoopView.minChartCols && rows >= 3 {
                #expect(screen.line(0).hasPrefix("Tasks live"), "\(cols)x\(rows): \(screen.text)")
            } else {
                #expect(screen.line(0) == LoopView.tooSmall.cut(to: cols),
                        "\(cols)x\(rows): \(screen.text)")
                #expect(screen.lines.dropFirst().allSatisfy { $0.isEmpty })
            }
        }
        // The whole dashboard at 20 × 6 says it is too small, in the loop view too.
        #expect(loopScreen(size: (6, 20)).line(0).hasPrefix("Terminal too small"))
    }

    @Test func everySizeDraws() {
        for unicode in [true, false] {
            for rows in [0, 1, 5, 6, 12, 13, 17, 24, 40, 60, 80] {
                for cols in [0, 20, 39, 40, 41, 60, 80, 100, 121, 150, 200, 320, 400] {
                    let screen = loopScreen(unicode: unicode, size: (rows, cols))
                    #expect(screen.rows == rows && screen.cols == cols)
                }
            }
        }
        // At the largest, a chart shows the whole series and no more: 300 s.
        let huge = loopScreen(size: (80, 400))
        #expect(huge.lines[4].contains("-300s … now"))
    }

    /// A recording replayed: the loop view at an earlier frame shows the series as it was
    /// then, joined from the deltas (which carry only their last ten seconds).
    @Test func aReplaySoughtBackChartsTheEarlierSeries() throws {
        var bytes = WireCodec.line(RecordingEntry(t: 0, message: .hello(.init(pid: 1, program: "p", loopName: "main",
                                                                              epoch: 0, interval: 1))))
        var previous: Snapshot?
        for i in 0..<60 {
            let snapshot = Fixtures.withSeries(seconds: i + 1, spike: 20)
            var versioned = snapshot
            versioned.version = UInt64(i + 1)
            bytes += WireCodec.line(RecordingEntry(t: Double(i), message: .delta(.init(dropped: 0, delta: .between(previous, versioned)))))
            previous = versioned
        }
        let recording = Recording(bytes: bytes)
        #expect(recording.frameCount == 60)
        let late = recording.snapshot(at: 59), early = recording.snapshot(at: 30)
        #expect(late.stats.series?.samples.count == 60)
        #expect(early.stats.series == Fixtures.series(seconds: 31, spike: 20))
        // Second 20 is 40 s before the late end, 11 s before the early one: index 155 and
        // 184 of 196, in cells 77 and 92 (columns 78 and 93).
        for (snapshot, column, live) in [(late, 78, "Tasks live 14"), (early, 93, "Tasks live 13")] {
            let screen = loopScreen(snapshot)
            let busy = try #require(titleRow(screen, "Busy"))
            let marked = cells(screen, row: busy + 1).indices.filter { screen[busy + 1, $0].glyph != " " }
            #expect(marked == [column], "\(screen.line(busy + 1))")
            #expect(screen.lines.contains { $0.hasPrefix(" \(live) ") })
        }
    }
}

private extension String {
    /// Cut to `width` characters, ending in an ellipsis when something was cut.
    func cut(to width: Int) -> String {
        count <= width ? self : String(prefix(width - 1)) + "…"
    }
}

@Suite struct LintHistoryTests {
    @Test func oneEntryASecondKeepingTheMost() {
        var history = LintHistory()
        history.record(at: 1_200_000_000, count: 2)
        history.record(at: 1_900_000_000, count: 5)
        history.record(at: 1_950_000_000, count: 1)
        history.record(at: 3_000_000_000, count: 0)
        #expect(history.entries.map(\.second) == [1, 3] && history.entries.map(\.count) == [5, 0])
    }

    @Test func anEarlierSecondDropsTheLaterOnes() {
        var history = LintHistory()
        for s in 0..<10 { history.record(at: UInt64(s) * 1_000_000_000, count: s) }
        history.record(at: 4_500_000_000, count: 7)
        #expect(history.entries.map(\.second) == [0, 1, 2, 3, 4] && history.entries.last?.count == 7)
    }

    @Test func boundedAtFiveMinutes() {
        var history = LintHistory()
        for s in 0..<400 { history.record(at: UInt64(s) * 1_000_000_000, count: s % 3) }
        #expect(history.entries.count == LintHistory.capacity)
        #expect(history.entries.first?.second == 100 && history.entries.last?.second == 399)
    }

    /// Each refresh records the lints of the snapshot shown, at its time.
    @Test func theReducerRecordsTheLintCountOnEachRefresh() {
        var state = ViewState()
        var snapshot = Fixtures.withLints()
        let before = LintReport(snapshot: snapshot, thresholds: state.lintThresholds).count
        state = reduce(state, .refreshed, snapshot).0
        snapshot.takenAt += 1_000_000_000
        // An error untaken for longer is one more lint.
        let after = LintReport(snapshot: snapshot, thresholds: state.lintThresholds).count
        #expect(before > 0 && after != before)
        state = reduce(state, .refreshed, snapshot).0
        #expect(state.lintHistory.entries.map(\.count) == [before, after])
        #expect(state.lintHistory.entries.map(\.second) == [2, 3])
        // Keys record nothing.
        #expect(reduce(state, .moveDown, snapshot).0.lintHistory == state.lintHistory)
    }
}

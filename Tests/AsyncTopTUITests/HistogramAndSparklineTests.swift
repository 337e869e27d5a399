import Testing
import AsyncTopModel
@testable import AsyncTopTUI

/// A task's histograms in its details, and the header's sparklines.
@Suite struct DetailsHistogramTests {
    private func details(_ snapshot: Snapshot, task: TaskID = 1, cols: Int = 100) -> [String] {
        var state = ViewState()
        state.pane = .details(task)
        return render(snapshot: snapshot, state: state, size: (60, cols)).lines
    }

    /// The line of a bar: label, bar of `blocks` full cells and a partial one, the count.
    private func bar(_ upper: Nanos, _ bar: String, _ count: Int, width: Int = 40) -> String {
        ("   ≤ " + formatDuration(upper - 1)).padded(to: 12, ellipsis: "…") + bar
            + String(repeating: " ", count: width - bar.count + 1) + "\(count)".padded(to: 6, ellipsis: "…", alignRight: true)
    }

    @Test func aTasksHistogramsAreSummedUpAndBarredPerBucket() throws {
        let snapshot = Fixtures.withSeries()
        let lines = details(snapshot)
        let steps = try #require(snapshot.tasks[0].stepHistogram)
        let first = try #require(lines.firstIndex { $0.hasPrefix(" Step times") }, "\(lines)")
        #expect(lines[first] == " Step times  n 40  p50 \(formatDuration(steps.p50))  p90 \(formatDuration(steps.p90))"
            + "  p99 \(formatDuration(steps.p99))  max 2.0ms")
        // 30, 9 and 1 values: 40 cells for the most, 9/30 of that (12), 1/30 (1 and 3/8).
        let buckets = steps.buckets
        #expect(buckets.map(\.count) == [30, 9, 1])
        #expect(Array(lines[(first + 1)...(first + 3)]) == [
            bar(buckets[0].upper, String(repeating: "█", count: 40), 30),
            bar(buckets[1].upper, String(repeating: "█", count: 12), 9),
            bar(buckets[2].upper, "█▍", 1),
        ])
        #expect(lines[first + 1].hasPrefix("   ≤ 10.2µs █"))
        #expect(lines[first + 4].hasPrefix(" Latencies  n 40  p50 15.0µs"))
        #expect(lines[first + 5] == bar(snapshot.tasks[0].latencyHistogram!.buckets[0].upper, String(repeating: "█", count: 40), 40))
        #expect(lines[first + 6] == "" && lines[first + 7] == " Cancellation not requested")
    }

    @Test func withoutHistogramsNothingAndNoBlankSection() throws {
        var snapshot = Fixtures.withSeries()
        snapshot.tasks[0] = Fixtures.small().tasks[0]
        let lines = details(snapshot)
        #expect(!lines.contains { $0.contains("Step times") || $0.contains("Latencies") })
        let stack = try #require(lines.firstIndex { $0.hasPrefix(" Stack") })
        #expect(lines[stack + 1] == "" && lines[stack + 2] == " Cancellation not requested")
        // An empty histogram is none; a task with only one shows only that one.
        let main = snapshot.tasks[0]
        snapshot.tasks[0] = TaskInfo(id: 1, name: main.name, origin: main.origin, state: main.state, createdAt: 0,
                                     stepHistogram: DurationHistogram(), latencyHistogram: Fixtures.histogram([(5_000, 2)]))
        let one = details(snapshot)
        #expect(!one.contains { $0.contains("Step times") })
        #expect(one.contains { $0.hasPrefix(" Latencies  n 2  p50 5.0µs") })
    }

    @Test func manyBucketsAreCoarsenedToFit() {
        // 200 values spread over six decades: far more than 12 buckets at precision 4.
        let values: [(Nanos, UInt64)] = (0..<200).map { (i: Int) -> (Nanos, UInt64) in
            let n = Nanos(i)
            return (1_000 + n * n * n * 100, 1)
        }
        let spread = Fixtures.histogram(values)
        #expect(spread.buckets.count > 12)
        let rows = HistogramView.rows(of: spread, atMost: 12)
        #expect(rows.count <= 12 && rows.count >= 6)
        #expect(rows.reduce(0) { $0 + $1.count } == spread.count)
        #expect(rows.last!.upper > spread.max && zip(rows, rows.dropFirst()).allSatisfy { $0.upper < $1.upper })
    }

    @Test func asciiBars() throws {
        var state = ViewState()
        state.pane = .details(1)
        state.display = DisplayOptions(colors: false, unicode: false)
        let lines = render(snapshot: Fixtures.withSeries(), state: state, size: (60, 100)).lines
        let first = try #require(lines.firstIndex { $0.hasPrefix(" Step times") })
        #expect(lines[first + 1].hasPrefix("   <=10.2us " + String(repeating: "#", count: 40) + "     30"))
        #expect(lines[first + 3].hasPrefix("   <=2.0ms  # "))
    }
}

@Suite struct HeaderSparklineTests {
    private let plain = " Steps/s 12.3k  Busy 45%  Lag 1.2ms (max 3.4ms)  Ready 1  Timers 2  Dropped 10"

    private func header(_ snapshot: Snapshot, cols: Int, unicode: Bool = true) -> String {
        var state = ViewState()
        state.display.unicode = unicode
        return render(snapshot: snapshot, state: state, size: (30, cols)).lines[2]
    }

    /// The last 24 s: second 100 of 97...120 is the spike.
    @Test func busyAndLagOverTheLastSeconds() {
        #expect(header(Fixtures.withSeries(), cols: 130) == " Steps/s 12.3k  Busy 45% ▂▂▂█" + String(repeating: "▂", count: 20)
            + "  Lag 1.2ms (max 3.4ms) ▁▁▁█" + String(repeating: "▁", count: 20) + "  Ready 1  Timers 2  Dropped 10")
        #expect(header(Fixtures.withSeries(), cols: 130, unicode: false) == " Steps/s 12.3k  Busy 45% ...#"
            + String(repeating: ".", count: 20) + "  Lag 1.2ms (max 3.4ms) ___#" + String(repeating: "_", count: 20)
            + "  Ready 1  Timers 2  Dropped 10")
    }

    @Test func absentWithoutASeries() {
        #expect(header(Fixtures.small(), cols: 130) == plain)
        var empty = Fixtures.small()
        empty.stats.series = LoopSeries()
        #expect(header(empty, cols: 130) == plain)
    }

    /// On 80 columns the numbers fill the line: no sparklines. Between, shorter ones.
    @Test func droppedFirstWhenNarrow() {
        #expect(header(Fixtures.withSeries(), cols: 80) == plain)
        let medium = header(Fixtures.withSeries(), cols: 100)
        #expect(medium == " Steps/s 12.3k  Busy 45% ▂▂▂▂▂▂▂▂▂  Lag 1.2ms (max 3.4ms) ▂▂▂▂▂▂▂▂▂  Ready 1  Timers 2  Dropped 10")
        #expect(medium.count <= 99)
        for cols in 40...140 {
            let line = header(Fixtures.withSeries(), cols: cols)
            #expect(line.hasPrefix(" Steps/s 12.3k  Busy 45%"))
            if cols > plain.count { #expect(line.hasSuffix("Dropped 10"), "\(cols): \(line)") }
        }
    }

    /// A steady lag under a millisecond is no full bar: 100 µs is a tenth of the top.
    @Test func aSteadySmallLagStaysLow() {
        let line = header(Fixtures.withSeries(spike: nil), cols: 130)
        #expect(line.contains("(max 3.4ms) " + String(repeating: "▂", count: 24) + "  Ready"))
    }
}

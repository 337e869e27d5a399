import AsyncTopModel
import Foundation
import Testing
import TmuxTestSupport

/// The loop view of a replay shows the series as of the position sought: the replay
/// rebuilds each frame from deltas that carry only the series' last ten seconds.
@Suite(.offCooperativePool, .enabled(if: TmuxSession.isAvailable, "tmux is not installed"),
       .enabled(if: BuiltBinary.asynctop != nil, "asynctop not found next to the test bundle"))
struct ReplayLoopViewTests {
    /// Sixty frames a second apart; frame i's series holds seconds 1...i + 1, each with
    /// 1 + s % 7 live tasks, busy 20% except 95% at second 20.
    private func recording() -> [UInt8] {
        var bytes = WireCodec.line(RecordingEntry(t: 0, message: .hello(.init(pid: 1, program: "p", loopName: "recorded",
                                                                              epoch: 0, interval: 1))))
        var previous: Snapshot?
        for i in 0..<60 {
            let samples = (1...UInt64(i + 1)).map { s in
                LoopSample(at: s * 1_000_000_000, tasksByState: [.running: 1, .suspended: Int(s % 7)], steps: 100,
                           busy: s == 20 ? 0.95 : 0.2)
            }
            let snapshot = Snapshot(version: UInt64(i + 1), takenAt: UInt64(i + 1) * 1_000_000_000 + 500_000_000,
                                    loopName: "recorded",
                                    stats: LoopStats(tasksByState: [.running: 1], series: LoopSeries(samples: samples)),
                                    tasks: [TaskInfo(id: 1, name: "main", origin: .main, state: .running, createdAt: 0)])
            bytes += WireCodec.line(RecordingEntry(t: Double(i), message: .delta(.init(dropped: 0, delta: .between(previous, snapshot)))))
            previous = snapshot
        }
        return bytes
    }

    /// The column of the only mark on the top row of the busy chart.
    private func busySpikeColumn(_ screen: String) -> Int? {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map { Array(String($0)) }
        guard let title = lines.firstIndex(where: { String($0).hasPrefix(" Busy ") }), title + 1 < lines.count else { return nil }
        let marked = lines[title + 1].indices.filter { lines[title + 1][$0] != " " }
        return marked.count == 1 ? marked[0] : nil
    }

    @Test func seekingBackChartsTheEarlierSeries() throws {
        let directory = NSTemporaryDirectory() + "asynctop-replay-loop-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/series.ndjson"
        try Data(recording()).write(to: URL(fileURLWithPath: path))
        let session = try TmuxSession(command: "'\(BuiltBinary.asynctop!)' replay --speed 1000 '\(path)'", cols: 130, rows: 40)
        // At the end (59 s in, frame 60): pause there, open the loop view.
        #expect(session.waitFor("frame 60/60"))
        session.send("p")
        #expect(session.waitFor("paused"))
        session.send("L")
        // Second 60: 1 + 60 % 7 live. 128 cells of two seconds: second 20, 40 s back, is in
        // cell 107 (column 108).
        let end = session.waitFor { $0.contains(" Tasks live 5 ") && $0.contains(" Busy ") }
        #expect(busySpikeColumn(end) == 108, "\(end)")
        // Ten seconds back: frame 50, its series up to second 50 (1 + 50 % 7 live); the
        // spike 30 s back, in cell 112.
        session.send("[")
        session.send("[")
        let earlier = session.waitFor { $0.contains("frame 50/60") && $0.contains(" Tasks live 2 ") }
        #expect(earlier.contains("frame 50/60") && earlier.contains(" Tasks live 2 "), "\(earlier)")
        #expect(busySpikeColumn(earlier) == 113, "\(earlier)")
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }
}

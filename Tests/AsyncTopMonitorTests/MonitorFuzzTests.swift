import AsyncTopClient
import AsyncTopModel
import Foundation
import Synchronization
import Testing
import TmuxTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Structured fuzzing of the monitor protocol against a live program (the fixture's
/// workload, with demo launching allowed): at least 100,000 lines of every client message
/// type with random and extreme fields, bad JSON, lines over the limit, blank lines, and
/// lines split across writes, on several connections at once, pipelined.
///
/// Seeded: `ASYNCTOP_FUZZ_SEED` picks the seed (the default is fixed), and a failure names
/// it. `ASYNCTOP_FUZZ_MESSAGES` changes the count.
@Suite(.offCooperativePool, .serialized, .enabled(if: BuiltBinary.monitorFixture != nil, "fixture not built"))
struct MonitorFuzzTests {
    static let seed = ProcessInfo.processInfo.environment["ASYNCTOP_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_2026_1130
    static let messages = ProcessInfo.processInfo.environment["ASYNCTOP_FUZZ_MESSAGES"].flatMap { Int($0) } ?? 100_000
    static let connections = 4

    struct Outcome: Sendable {
        var answered = 0
        var problems: [String] = []
        var lastSteps: UInt64 = 0
    }

    @Test func aHundredThousandHostileMessagesNeverStopTheProgram() throws {
        let child = try FixtureProcess(extra: ["--allow-launch"])
        // The tasks to spare (main, the ticker) and some to cancel.
        let probe = try MonitorConnection(path: child.socket)
        var snapshot = Snapshot()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, !(snapshot.tasks.contains { $0.name == "ticker" }) {
            if case .delta(let update)? = try probe.next(timeout: 0.5) { snapshot = snapshot.applying(update.delta) }
        }
        probe.close()
        let protected = Set(snapshot.tasks.filter { $0.name == "main" || $0.name == "ticker" }.map(\.id))
        #expect(protected.count == 2, "found main and the ticker")
        let cancellable = snapshot.tasks.filter { !protected.contains($0.id) }.map(\.id)

        let perConnection = (Self.messages + Self.connections - 1) / Self.connections
        let outcomes = Mutex<[Outcome]>([])
        let generationStart = Date()
        var work: [(stream: [UInt8], expectations: [ProtocolFuzzer.Expectation])] = []
        for index in 0..<Self.connections {
            var fuzzer = ProtocolFuzzer(seed: Self.seed &+ UInt64(index) &* 0x1_0000_0001, cancellable: cancellable,
                                        protected: protected)
            // Everything this connection sends, in order, and what each line must get.
            var stream: [UInt8] = []
            var expectations: [ProtocolFuzzer.Expectation] = []
            while expectations.count < perConnection {
                let (bytes, expect) = fuzzer.next()
                stream += bytes
                stream.append(0x0A)
                if let expect { expectations.append(expect) }
            }
            // The end: deltas again, and a ping that must still be answered.
            for (line, expect) in [(#"{"type":"resume","id":-7}"#, ProtocolFuzzer.Expectation(kind: .error(["bad-field"]), id: .some(nil), line: "resume -7")),
                                   (#"{"type":"resume","id":1000000001}"#, .init(kind: .reply(["resumed"]), id: .some(1_000_000_001), line: "resume")),
                                   (#"{"type":"ping","id":1000000002}"#, .init(kind: .reply(["pong"]), id: .some(1_000_000_002), line: "ping"))] {
                stream += Array(line.utf8) + [0x0A]
                expectations.append(expect)
            }
            work.append((stream, expectations))
        }
        let generating = Date().timeIntervalSince(generationStart)
        let cpuBefore = Self.cpuSeconds(child.pid)
        let started = Date()
        let done = DispatchSemaphore(value: 0)
        for (index, (stream, expectations)) in work.enumerated() {
            let connection = try MonitorConnection(path: child.socket)
            let chunkSeed = Self.seed ^ UInt64(index + 1)
            let writer = Thread { [stream] in
                var chunks = ProtocolFuzzer.Random(state: chunkSeed)
                // Pipelined, in chunks that split lines anywhere, tiny ones now and then.
                var offset = 0
                while offset < stream.count {
                    let size = Int.random(in: 0..<10, using: &chunks) == 0 ? Int.random(in: 1...16, using: &chunks)
                        : Int.random(in: 512...16_384, using: &chunks)
                    let end = min(offset + size, stream.count)
                    if !connection.sendRaw(Array(stream[offset..<end])) { return }
                    offset = end
                }
            }
            writer.start()
            let reader = Thread { [expectations] in
                var outcome = Outcome()
                var current = Snapshot()
                var next = 0
                var deltasAfterEnd = 0
                var stepsAtEnd: UInt64?
                let giveUp = Date().addingTimeInterval(600)
                do {
                    while Date() < giveUp, next < expectations.count || deltasAfterEnd < 3 {
                        guard let message = try connection.next(timeout: 30) else {
                            outcome.problems.append("connection \(index): nothing for 30 s, at answer \(next) of \(expectations.count)")
                            break
                        }
                        switch message {
                        case .hello, .loop: continue
                        case .delta(let update):
                            current = current.applying(update.delta)
                            if next == expectations.count {
                                deltasAfterEnd += 1
                                if stepsAtEnd == nil { stepsAtEnd = current.stats.totalSteps }
                            }
                        case .reply, .error, .stacks:
                            guard next < expectations.count else {
                                outcome.problems.append("connection \(index): an answer too many: \(message)")
                                continue
                            }
                            if !expectations[next].check(message), outcome.problems.count < 20 {
                                outcome.problems.append("connection \(index) line \(next): got \(message), expected \(expectations[next])")
                            }
                            next += 1
                            outcome.answered += 1
                        }
                    }
                } catch {
                    outcome.problems.append("connection \(index): \(error) after \(next) answers")
                }
                if next < expectations.count { outcome.problems.append("connection \(index): \(next) of \(expectations.count) answered") }
                // The loop still runs: the ticker's steps went on after the last answer.
                if let stepsAtEnd, current.stats.totalSteps <= stepsAtEnd {
                    outcome.problems.append("connection \(index): no steps after the end (\(stepsAtEnd))")
                }
                outcome.lastSteps = current.stats.totalSteps
                connection.close()
                outcomes.withLock { $0.append(outcome) }
                done.signal()
            }
            reader.start()
        }
        for _ in 0..<Self.connections { done.wait() }
        let elapsed = Date().timeIntervalSince(started)
        let all = outcomes.withLock { $0 }
        let answered = all.reduce(0) { $0 + $1.answered }
        for problem in all.flatMap(\.problems) { Issue.record("seed \(Self.seed): \(problem)") }
        #expect(answered >= Self.messages, "seed \(Self.seed): \(answered) answers")
        var status: Int32 = 0
        #expect(waitpid(child.pid, &status, WNOHANG) == 0, "seed \(Self.seed): the program still runs")
        // And a fresh client is served as ever.
        let last = try MonitorConnection(path: child.socket)
        last.send(.ping(id: 5))
        var pong = false
        let end = Date().addingTimeInterval(20)
        while Date() < end, !pong { if case .reply(5, "pong")? = try last.next(timeout: 0.5) { pong = true } }
        #expect(pong)
        print("monitor fuzz: seed \(Self.seed), \(answered) answers on \(Self.connections) connections in \(String(format: "%.1f", elapsed)) s"
              + " (generating \(String(format: "%.1f", generating)) s); the program's CPU time \(String(format: "%.1f", Self.cpuSeconds(child.pid) - cpuBefore)) s")
    }

    /// User and system CPU seconds of a process so far, from /proc.
    static func cpuSeconds(_ pid: pid_t) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return -1 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the name: state is field 3; utime and stime are fields 14 and 15.
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return -1 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

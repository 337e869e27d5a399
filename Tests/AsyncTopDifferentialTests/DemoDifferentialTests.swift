import AsyncTopDemos
import AsyncTopModel
import AsyncTopTracing
import Testing
import TmuxTestSupport

/// A demo of demos/ and its asyncio twin, `python/demos/<file>.py`, which does with asyncio
/// what the demo does and logs what a headless run of the demo records.
struct DemoTwin: Sendable, CustomTestStringConvertible {
    /// The demo's name in ``DemoCatalogue``.
    let demo: String
    /// Divides the demo's sleeps on both sides.
    var speed: Double = 4
    /// Whether the order in which the named tasks end is the demo's design. Where it is not
    /// (asyncio's `TaskGroup` cancels its children in the order of a set), both sides' ends
    /// are compared sorted.
    var endsInOrder = true
    /// Whether the demo says how long it took: its times ("2.01 s") are compared as "#.## s".
    var saysTimes = false
    /// Where the demo, by design, does what asyncio cannot: CPython's lines as the demo must
    /// log them instead, each change explained where it is made.
    var kept: @Sendable ([String]) -> [String] = { $0 }

    var testDescription: String { demo }

    /// The Python program's file name, without `.py`.
    var file: String { demo.replacing("-", with: "_") }

    static let all: [DemoTwin] = [
        DemoTwin(demo: "gather"),
        DemoTwin(demo: "as-completed"),
        DemoTwin(demo: "wait-modes"),
        DemoTwin(demo: "wait-for-timeout"),
        DemoTwin(demo: "shield"),
        DemoTwin(demo: "task-group", endsInOrder: false),
        DemoTwin(demo: "async-generator"),
        DemoTwin(demo: "semaphore-crawler"),
        DemoTwin(demo: "producer-consumer"),
        DemoTwin(demo: "to-thread", saysTimes: true),
        DemoTwin(demo: "threadsafe"),
        DemoTwin(demo: "cancel-cascade", speed: 8, endsInOrder: false),
        // The demo shows a task that never sees its cancellation. Swift's `Task.yield()` never
        // throws, so busy-loop, which only yields, runs on to its end; asyncio's yield,
        // `await asyncio.sleep(0)`, delivers the cancellation, and there no task that awaits
        // anything can be stubborn. So where CPython's busy-loop ends cancelled, asynctop's
        // finishes (after the catcher, as it runs on), and the result says so.
        DemoTwin(demo: "stubborn-cancel", kept: { lines in
            lines.filter { $0 != "ended: busy-loop cancelled" }.flatMap { line in
                switch line {
                case "ended: catcher finished": [line, "ended: busy-loop finished"]
                case let result where result.hasPrefix("result: busy-loop was cancelled"):
                    [result.replacing("busy-loop was cancelled", with: "busy-loop never saw the cancel and returned normally")]
                default: [line]
                }
            }
        }),
        DemoTwin(demo: "exception-never-retrieved"),
    ]

    /// What a headless run of the demo recorded, as the Python program logs it: the lines it
    /// said, in order; each named task's end, in time order; its result. The demo's own task,
    /// which the loop's `runUntilComplete` names `main`, is left out, as asyncio.run's is.
    func lines(of run: DemoRun) -> [String] {
        let ends = run.events
            .filter { ["done", "failed", "cancelled"].contains($0.event) }
            .inTimeOrder()
            .compactMap { event in event.name.map { (name: $0, outcome: spelling(ofEnd: event.event)) } }
            .filter { !isUnnamedTask($0.name) && $0.name != "main" }
            .map { "ended: \($0.name) \($0.outcome)" }
        return run.output.map { "said: \($0)" } + ends + ["result: \(run.observed)"]
    }

    /// The Python program's lines in the order of ``lines(of:)``: the said lines, the ends
    /// and the result, each in the order printed.
    static func canonical(_ lines: [String]) -> [String] {
        ["said: ", "ended: ", "result: "].flatMap { prefix in lines.filter { $0.hasPrefix(prefix) } }
    }

    /// `lines` as the demo's design lets them be compared: the ends sorted where they are in
    /// no set order, and the times said masked.
    func comparable(_ lines: [String]) -> [String] {
        var said = lines.filter { $0.hasPrefix("said: ") }
        var ends = lines.filter { $0.hasPrefix("ended: ") }
        if saysTimes { said = said.map { $0.replacing(/[0-9]+\.[0-9]+ s/, with: "#.## s") } }
        if !endsInOrder { ends.sort() }
        return said + ends + lines.filter { $0.hasPrefix("result: ") }
    }
}

/// Each demo run headless on the loop (as `asynctop demo --headless` does) records what its
/// asyncio twin logs under CPython: the lines it says, its result, and how and in what order
/// its named tasks end.
///
/// Each case runs its Python program first, then the demo, as ``DifferentialTests`` does.
@Suite(.offCooperativePool) struct DemoDifferentialTests {
    @Test(arguments: DemoTwin.all)
    func sameAsCPython(_ twin: DemoTwin) async throws {
        let cpython = twin.comparable(DemoTwin.canonical(try CPython.startDemo(twin.file, speed: twin.speed).lines()))
        try #require(cpython.last?.hasPrefix("result: ") == true, "python/demos/\(twin.file).py logged no result: \(cpython)")
        let demo = try #require(DemoCatalogue.named(twin.demo))
        let run = await DemoRunner.run(demo, speed: twin.speed)
        let asynctop = twin.comparable(twin.lines(of: run))
        let expected = twin.kept(cpython)
        #expect(asynctop == expected, "\(twin.demo): asynctop's run differs from CPython's:\n\(lineDiff(cpython: expected, asynctop: asynctop))")
    }
}

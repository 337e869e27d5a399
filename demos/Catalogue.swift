import AsyncTopModel
import AsyncTopRuntime

/// A demo workload: a name, what it shows, what it should come to, and the code that runs
/// it on a loop.
public struct Demo: Sendable {
    public let name: String
    public let summary: String
    /// The observation a correct run returns; the headless runner compares it with the result.
    public let expected: String
    /// The lints a correct run fires; any other is a failure of the run.
    public let lints: Set<Lint.Kind>
    /// The concept it shows and what to look at in the dashboard, in paragraphs
    /// (`asynctop demos NAME` and the launcher show it).
    public let about: String
    public let run: @Sendable (EventLoop) async throws -> String

    public init(name: String, summary: String, expected: String, lints: Set<Lint.Kind> = [], about: String = "",
                run: @escaping @Sendable (EventLoop) async throws -> String) {
        self.name = name
        self.summary = summary
        self.expected = expected
        self.lints = lints
        self.about = about
        self.run = run
    }

    /// How much faster than real time the demo runs: its sleeps are divided by it.
    /// Set with `Demo.$speed.withValue(8) { ... }`; spawned tasks inherit it.
    @TaskLocal public static var speed: Double = 1

    /// `seconds` of demo time in real seconds at the current speed.
    public static func scaled(_ seconds: Double) -> Double { seconds / speed }

    /// Where ``say(_:)`` sends a demo's lines: the headless trace sets it; elsewhere the
    /// lines go nowhere. Spawned tasks inherit it.
    ///
    /// A class, not a closure: a task-local whose value is a function type crashes
    /// `withValue` in release builds of Swift 6.3 on Linux.
    @TaskLocal public static var output: Output?

    /// The sink of a demo's lines (see ``output``).
    public final class Output: Sendable {
        let send: @Sendable (TraceEvent) -> Void
        public init(_ send: @escaping @Sendable (TraceEvent) -> Void) { self.send = send }
    }

    /// How long a demo that runs until stopped runs, in demo seconds (divided by
    /// ``speed`` like its sleeps); nil: the demo's own default.
    @TaskLocal public static var duration: Double?

    /// The program a demo's process pool starts as its workers; nil: this program, which
    /// then must call ``DemoCatalogue/registerWorkerFunctions()`` and
    /// `ProcessPool.runWorkerIfRequested()` first thing in `main`. Tests, whose bundle
    /// cannot run as a worker, point it at the built `asynctop`.
    @TaskLocal public static var workerExecutable: String?

    /// The demo's task-locals as they are here, to carry them into code that does not
    /// inherit them: a task spawned from a thread that is not the loop's.
    static func context() -> Context { Context(speed: speed, output: output, duration: duration) }

    struct Context: Sendable {
        let speed: Double
        let output: Output?
        let duration: Double?

        /// Runs `body` with these task-locals.
        func run<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
            try await Demo.$speed.withValue(speed) {
                try await Demo.$output.withValue(output) {
                    try await Demo.$duration.withValue(duration) { try await body() }
                }
            }
        }

        /// `seconds` of demo time in real seconds at this speed.
        func scaled(_ seconds: Double) -> Double { seconds / speed }

        /// ``say(_:loop:)`` from a thread: a line with `loop`'s time and no task.
        func say(_ text: String, loop: EventLoop) {
            Demo.$output.withValue(output) { AsyncTopDemos.say(text, loop: loop) }
        }
    }
}

/// Sleeps `seconds` of demo time (see ``Demo/speed``).
func pause(_ seconds: Double) async throws { try await sleep(Demo.scaled(seconds)) }

/// A line of the demo's own output, as an `output` event of the running task. Off the
/// loop's thread, `loop` gives the time.
func say(_ text: String, loop: EventLoop? = nil) {
    guard let sink = Demo.output else { return }
    let task = currentTask()
    let at = (EventLoop.current ?? loop).map { Nanos(($0.time() * 1e9).rounded()) } ?? 0
    sink.send(TraceEvent(at: at, event: "output", task: task?.id, name: task?.displayName, detail: text))
}

/// The demos this build ships.
public enum DemoCatalogue {
    /// In the order of a course: the combinators, the primitives, the network, threads and
    /// processes, cancellation, the classic mistakes, then scale.
    public static let all: [Demo] = [
        gather, asCompletedDemo, waitModes, waitForTimeout, shieldDemo, taskGroup, asyncGenerator,
        semaphoreCrawler, producerConsumer,
        echoServer, httpCrawler, subprocessPipeline,
        toThread, singleThreadExecutor, processPool, threadsafe,
        cancelCascade, stubbornCancel, orphanedThreadWork,
        blockingTheLoop, exceptionNeverRetrieved, deadlock, stuckPeer,
        stress,
    ]

    public static func named(_ name: String) -> Demo? { all.first { $0.name == name } }
}

extension DemoCatalogue {
    /// The seeds' three tasks: a, b and c sleep 0.2, 0.1 and 0.3 s (scaled by the demo's
    /// speed), then return their names.
    static func spawnABC() throws -> [TaskHandle<String>] {
        try [("a", 0.2), ("b", 0.1), ("c", 0.3)].map { name, delay in
            try spawn(name: name) { () async throws -> String in
                try await pause(delay)
                return name
            }
        }
    }
}

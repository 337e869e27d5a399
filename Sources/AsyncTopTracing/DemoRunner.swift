import AsyncTopDemos
import AsyncTopModel
import AsyncTopRuntime
import Foundation
import Synchronization

/// What a headless run of a demo came to.
public struct DemoRun: Sendable {
    public let demo: String
    public let expected: String
    /// The demo's result, or "error: ..." when it threw.
    public let observed: String
    /// Every event of the run, in order; empty when the run streamed them and kept none
    /// (see ``DemoRunner/run(_:speed:thresholds:recorder:keepEvents:onEvent:)``).
    public let events: [TraceEvent]
    /// The lints a correct run fires.
    public let expectedLints: Set<Lint.Kind>
    /// The kinds of the lints the run fired.
    public let firedLints: Set<Lint.Kind>
    /// The loop's counters and histograms at the end of the run (nil if it could not say).
    public var loopStats: LoopStats? = nil

    /// The run observed what it should and fired exactly the lints it should.
    public var ok: Bool { observed == expected && firedLints == expectedLints }

    /// The last line of a JSON trace.
    public var summaryJSON: String {
        var timing = ""
        if let stats = loopStats, let steps = stats.stepHistogram, let latency = stats.latencyHistogram {
            timing = ", \"steps\": \(stats.totalSteps), \"step_time\": \(jsonPercentiles(steps)), "
                + "\"latency\": \(jsonPercentiles(latency))"
        }
        return "{\"event\": \"summary\", \"demo\": \(jsonString(demo)), \"ok\": \(ok), \"expected\": \(jsonString(expected)), "
            + "\"observed\": \(jsonString(observed)), \"expected_lints\": \(jsonList(expectedLints)), "
            + "\"lints\": \(jsonList(firedLints))\(timing)}"
    }

    /// One line on the loop's step durations and scheduling latencies over the run:
    /// "loop: 1234 steps; step time p50 … p90 … p99 … max …; latency p50 … p90 … p99 … max …".
    public var timingText: String? {
        guard let stats = loopStats, let steps = stats.stepHistogram, let latency = stats.latencyHistogram else { return nil }
        func line(_ h: DurationHistogram) -> String {
            "p50 \(formatDuration(h.p50)) p90 \(formatDuration(h.p90)) p99 \(formatDuration(h.p99)) max \(formatDuration(h.max))"
        }
        return "loop: \(stats.totalSteps) steps; step time \(line(steps)); latency \(line(latency))"
    }

    private func jsonPercentiles(_ h: DurationHistogram) -> String {
        "{\"p50\": \(h.p50), \"p90\": \(h.p90), \"p99\": \(h.p99), \"max\": \(h.max), \"count\": \(h.count)}"
    }

    /// The summary as a line of text.
    public var summaryText: String {
        var text = "\(ok ? "ok" : "FAILED"): expected \"\(expected)\", observed \"\(observed)\""
        if !expectedLints.isEmpty || !firedLints.isEmpty {
            text += "; lints expected [\(list(expectedLints))], fired [\(list(firedLints))]"
        }
        return text
    }

    private func list(_ kinds: Set<Lint.Kind>) -> String { kinds.map(\.rawValue).sorted().joined(separator: ", ") }
    private func jsonList(_ kinds: Set<Lint.Kind>) -> String {
        "[" + kinds.map(\.rawValue).sorted().map(jsonString).joined(separator: ", ") + "]"
    }

    /// The text of the demo's `output` events, in order.
    public var output: [String] { events.filter { $0.event == "output" }.compactMap(\.detail) }

    /// The events named `event`, by task name, in order.
    public func names(_ event: String) -> [String] { events.filter { $0.event == event }.compactMap(\.name) }
}

/// Runs a demo on a fresh loop without a terminal and traces its tasks.
///
/// A thread beside the loop asks for a delta every 5 ms and diffs the changed tasks with
/// ``TaskTrace``, and reports each of the snapshot's ``Lints`` once; it spawns nothing on
/// the loop, so the trace holds the demo's tasks only (and the loop's `main`).
public enum DemoRunner {
    /// How many finished tasks a demo's loop keeps: more than any demo has tasks.
    static let retention = RetentionPolicy(maxFinished: 50_000)

    /// - Parameters:
    ///   - speed: divides the demo's sleeps (see ``Demo/speed``).
    ///   - onEvent: called with each event as it is seen, on the tracing thread.
    ///   - thresholds: the lints' limits; the time-based ones are divided by `speed`.
    ///   - recorder: also writes the snapshots it samples there, 20 a second, for
    ///     `asynctop replay` (where the lints are found again from them).
    ///   - keepEvents: whether the run keeps its events for ``DemoRun/events``; without,
    ///     they only go to `onEvent` and the run's memory stays flat however long it runs
    ///     (the command line streams them so).
    public static func run(_ demo: Demo, speed: Double = 1, thresholds: LintThresholds = LintThresholds(),
                           recorder: Recorder? = nil, keepEvents: Bool = true,
                           onEvent: @escaping @Sendable (TraceEvent) -> Void = { _ in }) async -> DemoRun {
        // Finished tasks stay in the snapshots until the tracer has seen them end: with the
        // default 10,000, the first of stress's 10,111 tasks to end in its final cancel were
        // dropped before a sample showed them cancelled.
        let loop = EventLoop(name: "demo \(demo.name)", retention: DemoRunner.retention)
        let recording = recorder.map { recorder in
            (recorder, ServerMessage.Hello(pid: getpid(), program: "asynctop", loopName: loop.name,
                                           epoch: loop.epoch, interval: Tracer.recordInterval))
        }
        let tracer = Tracer(loop: loop, thresholds: thresholds.scaled(bySpeed: speed), recording: recording,
                            keepEvents: keepEvents, onEvent: onEvent)
        let thread = Thread { tracer.poll() }
        thread.name = "asynctop-trace"
        thread.start()
        let observed: String
        do {
            observed = try await loop.runUntilComplete {
                try await Demo.$speed.withValue(speed) {
                    try await Demo.$output.withValue(Demo.Output { tracer.output($0) }) { try await demo.run(loop) }
                }
            }
        } catch {
            observed = "error: \(error)"
        }
        tracer.finish()
        // The demo's steps only: taken before the loop's own clean-up runs.
        let stats = loop.snapshot().stats
        // Not traced: cancelling leftovers runs a task of the loop's own.
        _ = await loop.cancelAllTasks()
        try? loop.close()
        var run = DemoRun(demo: demo.name, expected: demo.expected, observed: observed, events: tracer.events,
                          expectedLints: demo.lints, firedLints: tracer.firedLints)
        run.loopStats = stats
        return run
    }
}

/// The polling side of ``DemoRunner``.
///
/// Its work is kept off the loop's way: the demo's tasks only touch the small shared
/// state (to say a line), never the sampling, which can take milliseconds on a snapshot
/// of thousands of tasks.
private final class Tracer: Sendable {
    let loop: EventLoop
    let thresholds: LintThresholds
    let recording: (Recorder, ServerMessage.Hello)?
    let keepEvents: Bool
    let onEvent: @Sendable (TraceEvent) -> Void
    /// Seconds between two recorded snapshots.
    static let recordInterval = 0.05
    /// What the demo's tasks and the caller share with the tracing thread.
    private struct Shared {
        /// Every event, when the run keeps them.
        var events: [TraceEvent] = []
        /// The kinds of the lints reported: what the summary needs, kept in any case.
        var firedLints: Set<Lint.Kind> = []
        /// Lines the demo said since the last sample, reported in time order with its events.
        var output: [TraceEvent] = []
        var stopping = false
    }
    /// What only the tracing thread uses.
    private struct Sampling {
        var snapshot = Snapshot()
        var trace = TaskTrace()
        /// Lints already reported, by kind and tasks.
        var lints: Set<String> = []
        /// When the lints may be evaluated next (monotonic nanoseconds).
        var lintsDue: UInt64 = 0
        /// When the next snapshot is recorded (monotonic nanoseconds).
        var recordDue: UInt64 = 0
        /// Lints waiting for their tasks' stacks: when they were asked for, and the lint as
        /// last seen (with its first task's name).
        var waiting: [String: (askedAt: UInt64, lint: Lint, name: String?)] = [:]
    }
    /// How long a lint waits for its tasks' stacks before it is reported without them. Stacks
    /// come in 0.2 s on a quiet machine (a release binary's first symbolication), over a second
    /// on a loaded one; a lint that ends first is reported then, as last seen.
    private static let stackWait: UInt64 = 5_000_000_000
    private let shared = Mutex(Shared())
    private let sampling = Mutex(Sampling())
    private let stopped = DispatchSemaphore(value: 0)
    /// The lints read the whole snapshot, as the deltas do not: after an evaluation that
    /// took t, the next waits for this many t, so that on a snapshot of thousands of tasks
    /// they take a tenth of the tracing thread and not all of it. Lasting problems (a long
    /// step, a deadlock, a late cancel) are reported a little later; ``finish()`` always
    /// evaluates them.
    private static let lintSpacing: UInt64 = 10

    init(loop: EventLoop, thresholds: LintThresholds, recording: (Recorder, ServerMessage.Hello)?, keepEvents: Bool,
         onEvent: @escaping @Sendable (TraceEvent) -> Void) {
        self.loop = loop
        self.thresholds = thresholds
        self.recording = recording
        self.keepEvents = keepEvents
        self.onEvent = onEvent
    }

    var events: [TraceEvent] { shared.withLock { $0.events } }
    var firedLints: Set<Lint.Kind> { shared.withLock { $0.firedLints } }

    func output(_ event: TraceEvent) { shared.withLock { $0.output.append(event) } }

    func poll() {
        while !shared.withLock({ $0.stopping }) {
            // Only while the loop runs (its thread then builds the delta): a loop that has
            // stopped publishes its last snapshot from its own thread, and a delta built here
            // meanwhile raced it on the registry (a double free at the end of a stress run,
            // release build). ``finish()`` takes the last delta once the run has returned.
            if loop.isRunning { sample(final: false) }
            Thread.sleep(forTimeInterval: 0.005)
        }
        stopped.signal()
    }

    /// Takes a delta and reports what it shows. Only the tracing thread calls it.
    private func sample(final: Bool) {
        sampling.withLock { state in
            // Lines said before the delta is taken, so none is later than its events.
            let said = shared.withLock { shared in
                defer { shared.output = [] }
                return shared.output
            }
            // The loop's shared picture (the dashboard and a monitor watching the same loop
            // get theirs from it too); the last sample is taken exactly, after the run.
            let (delta, current) = loop.published(after: state.snapshot, maxAge: final ? 0 : 0.004)
            var fresh: [TraceEvent] = []
            var lintKinds: [Lint.Kind] = []
            // A picture older than ours is skipped: the changes come at the next sample.
            if delta.toVersion >= state.snapshot.version {
                // The publisher's picture is the delta applied to what we hold: taken as it
                // is, not made a second time here.
                state.snapshot = current
                // Only the tasks the delta changed can show something new.
                fresh = state.trace.events(in: delta)
            }
            if !said.isEmpty {
                fresh = (fresh + said).inTimeOrder()
            }
            let now = DispatchTime.now().uptimeNanoseconds
            if final || now >= state.lintsDue {
                // Lints name only the snapshot's own tasks: work orphaned by a task of another
                // loop (another test, say) on a shared pool is not the demo's.
                func report(_ lint: Lint, at takenAt: Nanos, name: String?) {
                    state.lints.insert(lint.id)
                    state.waiting[lint.id] = nil
                    lintKinds.append(lint.kind)
                    fresh.append(TraceEvent(at: takenAt, event: "lint", task: lint.tasks.first, name: name,
                                            detail: "\(lint.kind.rawValue): \(lint.message)"))
                }
                let found = Lints.evaluate(state.snapshot, thresholds)
                for lint in found where !state.lints.contains(lint.id) {
                    let name = lint.tasks.first.flatMap { state.snapshot.task($0)?.displayName }
                    // Say where the lint's tasks wait: ask for their stacks, and report the
                    // lint once they came (or five seconds later, or at the end, without).
                    let stackless = lint.tasks.filter { id in
                        guard let task = state.snapshot.task(id) else { return false }
                        return task.stack == nil && (task.state.kind == .suspended || task.state.kind == .pending)
                    }
                    if !final && !stackless.isEmpty {
                        if let waiting = state.waiting[lint.id] {
                            if now &- waiting.askedAt < Self.stackWait {
                                state.waiting[lint.id] = (waiting.askedAt, lint, name)
                                continue
                            }
                        } else {
                            state.waiting[lint.id] = (now, lint, name)
                            loop.captureStacks(of: stackless)
                            continue
                        }
                    }
                    report(lint, at: state.snapshot.takenAt, name: name)
                }
                // A lint that ended while it waited for its stacks is reported as last seen (at
                // this sample's time, keeping the events in order): waiting never loses one.
                if !state.waiting.isEmpty {
                    let current = Set(found.map(\.id))
                    for (id, waiting) in state.waiting.sorted(by: { $0.value.askedAt < $1.value.askedAt }) where !current.contains(id) {
                        report(waiting.lint, at: state.snapshot.takenAt, name: waiting.name)
                    }
                }
                let took = DispatchTime.now().uptimeNanoseconds - now
                state.lintsDue = now + took * Self.lintSpacing
            }
            if let (recorder, hello) = recording, final || now >= state.recordDue {
                if !final { loop.sampleStacks() }
                recorder.record(snapshot: state.snapshot, hello: hello)
                state.recordDue = now + UInt64(Self.recordInterval * 1e9)
            }
            let keep = keepEvents
            shared.withLock { shared in
                shared.firedLints.formUnion(lintKinds)
                if keep { shared.events += fresh }
            }
            for event in fresh { onEvent(event) }
        }
    }

    func finish() {
        shared.withLock { $0.stopping = true }
        stopped.wait()
        sample(final: true)
    }
}

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
    public let events: [TraceEvent]
    /// The lints a correct run fires.
    public let expectedLints: Set<Lint.Kind>

    /// The kinds of the lints the run fired.
    public var firedLints: Set<Lint.Kind> {
        Set(events.filter { $0.event == "lint" }.compactMap { event in
            event.detail.flatMap { detail in Lint.Kind(rawValue: String(detail.prefix { $0 != ":" })) }
        })
    }

    /// The run observed what it should and fired exactly the lints it should.
    public var ok: Bool { observed == expected && firedLints == expectedLints }

    /// The last line of a JSON trace.
    public var summaryJSON: String {
        "{\"event\": \"summary\", \"demo\": \(jsonString(demo)), \"ok\": \(ok), \"expected\": \(jsonString(expected)), "
            + "\"observed\": \(jsonString(observed)), \"expected_lints\": \(jsonList(expectedLints)), "
            + "\"lints\": \(jsonList(firedLints))}"
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
/// A thread beside the loop asks for a delta every 5 ms and diffs the tasks with
/// ``TaskTrace``, and reports the ``Lints`` of each snapshot once; it spawns nothing on the loop, so the trace holds the demo's tasks only
/// (and the loop's `main`).
public enum DemoRunner {
    /// - Parameters:
    ///   - speed: divides the demo's sleeps (see ``Demo/speed``).
    ///   - onEvent: called with each event as it is seen, on the tracing thread.
    ///   - thresholds: the lints' limits; the time-based ones are divided by `speed`.
    public static func run(_ demo: Demo, speed: Double = 1, thresholds: LintThresholds = LintThresholds(),
                           onEvent: @escaping @Sendable (TraceEvent) -> Void = { _ in }) async -> DemoRun {
        let loop = EventLoop(name: "demo \(demo.name)")
        let tracer = Tracer(loop: loop, thresholds: thresholds.scaled(bySpeed: speed), onEvent: onEvent)
        let thread = Thread { tracer.poll() }
        thread.name = "asynctop-trace"
        thread.start()
        let observed: String
        do {
            observed = try await loop.runUntilComplete {
                try await Demo.$speed.withValue(speed) {
                    try await Demo.$output.withValue({ tracer.output($0) }) { try await demo.run(loop) }
                }
            }
        } catch {
            observed = "error: \(error)"
        }
        tracer.finish()
        // Not traced: cancelling leftovers runs a task of the loop's own.
        _ = await loop.cancelAllTasks()
        try? loop.close()
        return DemoRun(demo: demo.name, expected: demo.expected, observed: observed, events: tracer.events,
                       expectedLints: demo.lints)
    }
}

/// The polling side of ``DemoRunner``.
private final class Tracer: Sendable {
    let loop: EventLoop
    let thresholds: LintThresholds
    let onEvent: @Sendable (TraceEvent) -> Void
    private struct State {
        var snapshot = Snapshot()
        var trace = TaskTrace()
        var events: [TraceEvent] = []
        /// Lints already reported, by kind and tasks.
        var lints: Set<String> = []
        var stopping = false
    }
    private let state = Mutex(State())
    /// Lines the demo said since the last sample, reported in time order with its events.
    /// A lock of its own: `say` runs on the loop, which `sample` waits on for its delta.
    private let said = Mutex<[TraceEvent]>([])
    private let stopped = DispatchSemaphore(value: 0)

    init(loop: EventLoop, thresholds: LintThresholds, onEvent: @escaping @Sendable (TraceEvent) -> Void) {
        self.loop = loop
        self.thresholds = thresholds
        self.onEvent = onEvent
    }

    var events: [TraceEvent] { state.withLock { $0.events } }

    func output(_ event: TraceEvent) { said.withLock { $0.append(event) } }

    func poll() {
        while !state.withLock({ $0.stopping }) {
            sample()
            Thread.sleep(forTimeInterval: 0.005)
        }
        stopped.signal()
    }

    /// Takes a delta and reports what it shows.
    func sample() {
        state.withLock { state in
            // Lines said before the delta is taken, so none is later than its events.
            let said = self.said.withLock { said in defer { said = [] }; return said }
            let delta = loop.delta(since: state.snapshot.version)
            state.snapshot = state.snapshot.applying(delta)
            var fresh = state.trace.events(in: state.snapshot)
            if !said.isEmpty {
                fresh = (fresh + said).enumerated()
                    .sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
            }
            for lint in Lints.evaluate(state.snapshot, thresholds) where state.lints.insert(lint.id).inserted {
                fresh.append(TraceEvent(at: state.snapshot.takenAt, event: "lint", task: lint.tasks.first,
                                        name: lint.tasks.first.flatMap { state.snapshot.task($0)?.displayName },
                                        detail: "\(lint.kind.rawValue): \(lint.message)"))
            }
            state.events += fresh
            for event in fresh { onEvent(event) }
        }
    }

    func finish() {
        state.withLock { $0.stopping = true }
        stopped.wait()
        sample()
    }
}

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
    public var ok: Bool { observed == expected }

    /// The last line of a JSON trace.
    public var summaryJSON: String {
        "{\"event\": \"summary\", \"demo\": \(jsonString(demo)), \"ok\": \(ok), \"expected\": \(jsonString(expected)), "
            + "\"observed\": \(jsonString(observed))}"
    }

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
    public static func run(_ demo: Demo, speed: Double = 1,
                           onEvent: @escaping @Sendable (TraceEvent) -> Void = { _ in }) async -> DemoRun {
        let loop = EventLoop(name: "demo \(demo.name)")
        let tracer = Tracer(loop: loop, onEvent: onEvent)
        let thread = Thread { tracer.poll() }
        thread.name = "asynctop-trace"
        thread.start()
        let observed: String
        do {
            observed = try await loop.runUntilComplete {
                try await Demo.$speed.withValue(speed) { try await demo.run(loop) }
            }
        } catch {
            observed = "error: \(error)"
        }
        tracer.finish()
        // Not traced: cancelling leftovers runs a task of the loop's own.
        _ = await loop.cancelAllTasks()
        try? loop.close()
        return DemoRun(demo: demo.name, expected: demo.expected, observed: observed, events: tracer.events)
    }
}

/// The polling side of ``DemoRunner``.
private final class Tracer: Sendable {
    let loop: EventLoop
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
    private let stopped = DispatchSemaphore(value: 0)

    init(loop: EventLoop, onEvent: @escaping @Sendable (TraceEvent) -> Void) {
        self.loop = loop
        self.onEvent = onEvent
    }

    var events: [TraceEvent] { state.withLock { $0.events } }

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
            let delta = loop.delta(since: state.snapshot.version)
            state.snapshot = state.snapshot.applying(delta)
            var fresh = state.trace.events(in: state.snapshot)
            for lint in Lints.evaluate(state.snapshot) where state.lints.insert("\(lint.kind) \(lint.tasks)").inserted {
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

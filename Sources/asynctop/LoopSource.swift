import AsyncTopDemos
import AsyncTopModel
import AsyncTopRuntime
import AsyncTopTUI
import Synchronization

/// The dashboard's view of a loop in this process: snapshots from it, commands to it.
struct LoopSource: SnapshotSource {
    let loop: EventLoop
    /// How long demos that run until stopped run (see ``Demo/duration``); nil: their default.
    var demoDuration: Double? = nil
    /// What the demos said, the latest 100 lines.
    private let said = SaidLines()

    init(loop: EventLoop, demoDuration: Double? = nil) {
        self.loop = loop
        self.demoDuration = demoDuration
    }

    /// The loop's shared picture: a monitor or a recording of the same loop costs it no more.
    func snapshot() -> Snapshot { loop.published() }

    func output() -> [TraceEvent] { said.lines.withLock { Array($0) } }

    func cancel(task: TaskID, message: String?, answer: @escaping @Sendable (CancelAnswer) -> Void) {
        answer(loop.cancel(task: task, message: message, requester: .dashboard))
    }

    /// Captured on the loop's thread; the next snapshots carry them.
    func requestStacks(of tasks: [TaskID]) { loop.captureStacks(of: tasks) }

    func launchDemo(named name: String) {
        guard let demo = DemoCatalogue.named(name) else { return }
        let (loop, duration, said) = (self.loop, demoDuration, self.said)
        _ = try? loop.spawn(name: "demo \(name)") {
            try await Demo.$duration.withValue(duration) {
                try await Demo.$output.withValue(Demo.Output { line in said.append(line) }) { try await demo.run(loop) }
            }
        }
    }
}

/// The last lines demos said, for the dashboard.
final class SaidLines: Sendable {
    static let kept = 100
    let lines = Mutex<[TraceEvent]>([])

    func append(_ line: TraceEvent) {
        lines.withLock { lines in
            lines.append(line)
            if lines.count > Self.kept { lines.removeFirst(lines.count - Self.kept) }
        }
    }
}

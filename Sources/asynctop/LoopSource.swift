import AsyncTopDemos
import AsyncTopModel
import AsyncTopRuntime
import AsyncTopTUI

/// The dashboard's view of a loop in this process: snapshots from it, commands to it.
struct LoopSource: SnapshotSource {
    let loop: EventLoop
    /// How long demos that run until stopped run (see ``Demo/duration``); nil: their default.
    var demoDuration: Double? = nil

    func snapshot() -> Snapshot { loop.snapshot() }

    func cancel(task: TaskID, message: String?) {
        loop.cancel(task: task, message: message, requester: .dashboard)
    }

    func launchDemo(named name: String) {
        guard let demo = DemoCatalogue.named(name) else { return }
        let (loop, duration) = (self.loop, demoDuration)
        _ = try? loop.spawn(name: "demo \(name)") { try await Demo.$duration.withValue(duration) { try await demo.run(loop) } }
    }
}

import AsyncTopDemos
import AsyncTopModel
import AsyncTopRuntime
import AsyncTopTUI

/// The dashboard's view of a loop in this process: snapshots from it, commands to it.
struct LoopSource: SnapshotSource {
    let loop: EventLoop

    func snapshot() -> Snapshot { loop.snapshot() }

    func cancel(task: TaskID, message: String?) {
        loop.cancel(task: task, message: message, requester: .dashboard)
    }

    func launchDemo(named name: String) {
        guard let demo = DemoCatalogue.named(name) else { return }
        let loop = self.loop
        _ = try? loop.spawn(name: "demo \(name)") { try await demo.run(loop) }
    }
}

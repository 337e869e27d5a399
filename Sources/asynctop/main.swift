import AsyncTopDemos
import AsyncTopModel
import AsyncTopRuntime
import Foundation

// Until the dashboard lands: run the gather demo and print the task table as it goes.
let demo = DemoCatalogue.all[0]
let result = try await EventLoop.run(name: "asynctop") {
    let loop = EventLoop.current!
    let printer = try loop.spawn(name: "table-printer") { () async throws -> Void in
        while true {
            try await sleep(0.1)
            let snap = loop.snapshot()
            print("--- t=\(formatSeconds(snap.takenAt))  tasks: \(snap.tasks.count)")
            for t in snap.tasks where t.name != "table-printer" {
                print("  \(t.id) \(t.displayName.padding(toLength: 14, withPad: " ", startingAt: 0)) parent=\(t.parentID.map(String.init) ?? "-") \(t.state) steps=\(t.steps)")
            }
        }
    }
    let result = try await demo.run(loop)
    printer.cancel(message: "demo over")
    return result
}
print("result:", result)

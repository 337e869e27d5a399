import AsyncTopDemos
import AsyncTopModel
import Testing
@testable import AsyncTopRuntime

@Suite struct DemoTests {
    @Test func gatherReturnsInArgumentOrder() async throws {
        let result = try await onLoop { try await DemoCatalogue.named("gather")!.run(EventLoop.current!) }
        #expect(result == "[a, b, c]")
    }

    @Test func cancelCascadeReachesEveryLevel() async throws {
        try await onLoop {
            let loop = EventLoop.current!
            let result = try await DemoCatalogue.named("cancel-cascade")!.run(loop)
            #expect(result == "root and its tree cancelled; gatherer cancelled, and with it fetch-1, fetch-2, fetch-3")
            let snap = loop.snapshot()
            let root = try #require(snap.tasks.first { $0.name == "root" })
            var level = [root]
            var depth = 0
            while !level.isEmpty {
                for task in level {
                    #expect(task.state.kind == .cancelled, "\(task.displayName) at depth \(depth): \(task.state)")
                }
                level = level.flatMap { snap.children(of: $0.id) }
                depth += 1
            }
            #expect(depth == 4)  // root, middle, branches, then leaves and async lets
        }
    }
}

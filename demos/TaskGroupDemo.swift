import AsyncTopRuntime

extension DemoCatalogue {
    static let taskGroup = Demo(
        name: "task-group",
        summary: "a failing child cancels its two siblings in a task group",
        expected: "group failed: child-2 failed; 2 siblings cancelled",
        about: """
            asyncio's `TaskGroup`: three children, one of which fails after 0.2 s; the group cancels the \
            other two (still sleeping) and raises the failure. In the dashboard the group's children \
            hang under the demo task; two end cancelled, one failed.
            """
    ) { _ in
        struct ChildFailed: Error, CustomStringConvertible { var description: String { "child-2 failed" } }
        var children: [TaskHandle<Void>] = []
        do {
            try await withLoopTaskGroup(name: "group") { group in
                for index in 1...3 {
                    children.append(try group.spawn(name: "child-\(index)") { () async throws -> Void in
                        if index == 2 {
                            try await pause(0.2)
                            throw ChildFailed()
                        }
                        try await pause(3600)
                    })
                }
            }
            return "group finished without failure"
        } catch {
            let cancelled = children.filter(\.cancelled).count
            return "group failed: child-2 failed; \(cancelled) siblings cancelled"
        }
    }
}

import AsyncTopRuntime

extension DemoCatalogue {
    /// A four-level tree of tasks; cancelling its root reaches every level: through the
    /// await of a spawned task (asyncio's propagation), then through task-group children and
    /// their `async let` and group children.
    static let cancelCascade = Demo(
        name: "cancel-cascade",
        summary: "cancelling the root of a four-level task tree cancels every level",
        expected: "root and its tree cancelled"
    ) { _ in
        let root = try spawn(name: "root") { () async throws -> Void in
            let middle = try spawn(name: "middle") { () async throws -> Void in
                try await withThrowingTaskGroup(of: Void.self) { branches in
                    for branch in 1...3 {
                        branches.addTask(name: "branch-\(branch)") {
                            async let side: Void = sleep(3600)
                            try await withThrowingTaskGroup(of: Void.self) { leaves in
                                for leaf in 1...2 {
                                    leaves.addTask(name: "leaf-\(branch).\(leaf)") { try await sleep(3600) }
                                }
                                try await leaves.waitForAll()
                            }
                            try await side
                        }
                    }
                    try await branches.waitForAll()
                }
            }
            // Awaiting a task passes a cancellation on to it, as in asyncio.
            try await middle.value
        }
        try await pause(1.5)
        root.cancel(message: "cascade demo: cancel the root")
        _ = try? await root.value
        return root.cancelled ? "root and its tree cancelled" : "root was not cancelled"
    }
}

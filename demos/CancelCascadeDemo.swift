import AsyncTopRuntime

extension DemoCatalogue {
    static let cancelCascade = Demo(
        name: "cancel-cascade",
        summary: "cancelling a root cancels its four-level tree; cancelling a gather cancels its children",
        expected: "root and its tree cancelled; gatherer cancelled, and with it fetch-1, fetch-2, fetch-3",
        about: """
            A four-level tree of tasks; cancelling its root reaches every level: through the await of a \
            spawned task (asyncio's propagation), then through task-group children and their `async let` \
            and group children. Beside it, `gatherer` awaits a `gather` of three fetches; cancelling \
            `gatherer` cancels the gather, and the gather cancels every fetch, as asyncio's does.

            In the dashboard the tree hangs under `root`, every task asleep, until 1.5 s; then the \
            whole tree turns cancelled at once. The details (Enter) of a leaf say who asked: its \
            parent's cancellation, passed down; a fetch's say "cancel of gather in task N".
            """
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
        let fetches = try (1...3).map { index in
            try spawn(name: "fetch-\(index)") { () async throws -> Int in
                try await sleep(3600)
                return index
            }
        }
        let gatherer = try spawn(name: "gatherer") { () async throws -> [Int] in try await AsyncTopRuntime.gather(fetches) }
        try await pause(1.5)
        root.cancel(message: "cascade demo: cancel the root")
        gatherer.cancel(message: "cascade demo: cancel the gather")
        _ = try? await root.value
        _ = try? await gatherer.value
        for fetch in fetches { _ = try? await fetch.value }
        let tree = root.cancelled ? "root and its tree cancelled" : "root was not cancelled"
        let cancelledFetches = fetches.filter(\.cancelled).map(\.name)
        return tree + "; gatherer " + (gatherer.cancelled ? "cancelled" : "not cancelled")
            + ", and with it " + (cancelledFetches.isEmpty ? "no fetch" : cancelledFetches.joined(separator: ", "))
    }
}

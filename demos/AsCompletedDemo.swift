import AsyncTopRuntime

extension DemoCatalogue {
    static let asCompletedDemo = Demo(
        name: "as-completed",
        summary: "tasks a, b, c sleep 0.2/0.1/0.3 s; asCompleted yields them as they finish",
        expected: "[b, a, c]",
        about: """
            asyncio's `as_completed`: tasks a, b, c sleep 0.2, 0.1 and 0.3 s and come back in the order \
            they finish, b, a, c, not the order they were given. In the dashboard the demo task waits on \
            "as_completed of 3" while the three sleep.
            """
    ) { _ in
        let handles = try spawnABC()
        var order: [String] = []
        for try await handle in asCompleted(handles) { order.append(try await handle.value) }
        return "[\(order.joined(separator: ", "))]"
    }
}

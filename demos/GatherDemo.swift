import AsyncTopRuntime

extension DemoCatalogue {
    static let gather = Demo(
        name: "gather",
        summary: "tasks a, b, c sleep 0.2/0.1/0.3 s; results come back in argument order",
        expected: "[a, b, c]",
        about: """
            asyncio's `gather`: tasks a, b, c sleep 0.2, 0.1 and 0.3 s; the results come back in \
            argument order, [a, b, c], while they finish b, a, c.

            In the dashboard the demo task waits on "gather of 3" while a, b and c sleep under it; \
            b turns done first, then a, then c, and only then does the demo task go on. Compare \
            `as-completed`, which hands the results over in the order they finish.
            """
    ) { _ in
        let results = try await AsyncTopRuntime.gather(try spawnABC())
        return "[\(results.joined(separator: ", "))]"
    }
}

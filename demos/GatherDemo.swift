import AsyncTopRuntime

extension DemoCatalogue {
    /// asyncio's `gather`: tasks a, b, c sleep 0.2, 0.1 and 0.3 s; the results come back in
    /// argument order, [a, b, c], while they finish b, a, c.
    static let gather = Demo(
        name: "gather",
        summary: "tasks a, b, c sleep 0.2/0.1/0.3 s; results come back in argument order",
        expected: "[a, b, c]"
    ) { _ in
        let results = try await AsyncTopRuntime.gather(try spawnABC())
        return "[\(results.joined(separator: ", "))]"
    }
}

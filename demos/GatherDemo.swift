import AsyncTopRuntime

extension DemoCatalogue {
    /// Three tasks a, b, c sleep 0.2, 0.1 and 0.3 s; awaiting them in order gives [a, b, c]
    /// while they finish b, a, c.
    static let gather = Demo(
        name: "gather",
        summary: "tasks a, b, c sleep 0.2/0.1/0.3 s; results come back in argument order",
        expected: "[a, b, c]"
    ) { _ in
        let delays: [(String, Double)] = [("a", 0.2), ("b", 0.1), ("c", 0.3)]
        let handles = try delays.map { name, delay in
            try spawn(name: name) { () async throws -> String in
                try await pause(delay)
                return name
            }
        }
        var results: [String] = []
        for handle in handles { results.append(try await handle.value) }
        return "[\(results.joined(separator: ", "))]"
    }
}

import AsyncTopRuntime

extension DemoCatalogue {
    static let waitForTimeout = Demo(
        name: "wait-for-timeout",
        summary: "a one-hour query given 0.5 s by waitFor is cancelled at the deadline",
        expected: "timed out; slow-query cancelled",
        about: """
            asyncio's `wait_for`: a one-hour `slow-query` given 0.5 s is cancelled at the deadline and \
            the caller gets a time-out. In the dashboard the query's cancellation is requested by \
            "time-out of waitFor", then it ends cancelled.
            """
    ) { _ in
        let query = try spawn(name: "slow-query") { () async throws -> String in
            try await pause(3600)
            return "rows"
        }
        do {
            let rows = try await waitFor(query, timeout: Demo.scaled(0.5))
            return "got \(rows)"
        } catch is TimeoutError {
            return "timed out; slow-query " + (query.cancelled ? "cancelled" : "not cancelled")
        }
    }
}

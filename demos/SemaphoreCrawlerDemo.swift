import AsyncTopRuntime
import Synchronization

extension DemoCatalogue {
    static let semaphoreCrawler = Demo(
        name: "semaphore-crawler",
        summary: "50 fetches of 0.1 s, at most 5 at once behind a semaphore",
        expected: "50 fetched, at most 5 at once",
        about: """
            A crawler: 50 fetches of 0.1 s each, at most 5 at a time behind a `Semaphore`. In the \
            dashboard five fetches sleep while the rest wait on "semaphore crawler"; the resources view \
            shows the holders and the queue draining.
            """
    ) { _ in
        let limit = try Semaphore(5, name: "crawler")
        let inFlight = Mutex((now: 0, most: 0))
        let fetches = try (1...50).map { page in
            try spawn(name: "fetch-\(page)") { () async throws -> Int in
                try await limit.withPermit {
                    inFlight.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
                    defer { inFlight.withLock { $0.now -= 1 } }
                    try await pause(0.1)
                    return page
                }
            }
        }
        let pages = try await AsyncTopRuntime.gather(fetches)
        return "\(pages.count) fetched, at most \(inFlight.withLock { $0.most }) at once"
    }
}

import AsyncTopRuntime
import Testing

/// The example of README.md, as written there.
@Suite struct ReadmeExampleTests {
    @Test func theReadmeExampleRuns() async throws {
        let total = try await EventLoop.run(name: "crawler", reportLeftovers: { _ in }) {
            let pages = try (1...3).map { page in
                try spawn(name: "fetch \(page)") { () async throws -> Int in
                    try await sleep(0.01 * Double(page))
                    return page * 10
                }
            }
            async let audit: Int = { try await Task.sleep(for: .milliseconds(5)); return 1 }()

            let listed = try allTasks().map { "\($0.id) \($0.displayName) \($0.state)" }
            #expect(listed.count >= 4)
            var sum = 0
            for page in pages { sum += try await page.value }
            return sum + (try await audit)
        }
        #expect(total == 61)
    }
}

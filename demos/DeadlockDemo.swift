import AsyncTopRuntime

extension DemoCatalogue {
    static let deadlock = Demo(
        name: "deadlock",
        summary: "two tasks take two locks in opposite order and wait for each other",
        expected: "deadlock: left and right still waiting after 1 s; cancelled",
        lints: [.deadlock],
        about: """
            Two tasks take two locks in opposite order and wait for each other for ever. The demo gives \
            them 1 s, reports the ones still waiting and cancels both. In the dashboard each waits on \
            the lock the other holds; the lints view (`l`) shows the cycle.
            """
    ) { _ in
        let first = Lock(name: "first")
        let second = Lock(name: "second")
        func worker(_ name: String, _ a: Lock, _ b: Lock) throws -> TaskHandle<Void> {
            try spawn(name: name) { () async throws -> Void in
                try await a.withLock {
                    try await pause(0.1)
                    try await b.withLock {}
                }
            }
        }
        let left = try worker("left", first, second)
        let right = try worker("right", second, first)
        // A bound, not a time-out per task: cancelling one would free the other.
        try await pause(1)
        let stuck = [("left", left), ("right", right)].filter { !$0.1.done }.map(\.0)
        for task in [left, right] { task.cancel(message: "deadlock demo: giving up after 1 s") }
        for task in [left, right] { _ = try? await task.value }
        return stuck.isEmpty ? "no deadlock" : "deadlock: \(stuck.joined(separator: " and ")) still waiting after 1 s; cancelled"
    }
}

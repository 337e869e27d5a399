import AsyncTopRuntime

extension DemoCatalogue {
    static let exceptionNeverRetrieved = Demo(
        name: "exception-never-retrieved",
        summary: "a task fails and no one awaits it: its error is never retrieved",
        expected: "fire-and-forget failed: upload failed: connection reset; no one retrieved it",
        lints: [.errorNeverRetrieved],
        about: """
            Fire and forget: `fire-and-forget` is spawned, its handle dropped, and it fails at 0.2 s. No \
            one awaits it or asks for its result, so the error goes nowhere; asyncio logs "Task \
            exception was never retrieved" when such a task is collected. Awaiting the handle, \
            `result()`, `exception()`, `gather` or a task group would have taken it.

            In the dashboard the task stays failed with its error; after a second the lints view (`l`) \
            says no one retrieved it.
            """
    ) { loop in
        struct UploadFailed: Error, CustomStringConvertible { var description: String { "upload failed: connection reset" } }
        let task = try spawn(name: "fire-and-forget") { () async throws -> Void in
            try await pause(0.2)
            throw UploadFailed()
        }
        say("spawned fire-and-forget and dropped its handle")
        // `done` looks without taking the error. Then past the lint's one-second threshold.
        while !task.done { try await pause(0.05) }
        try await pause(1.5)
        let info = loop.snapshot().task(task.id)
        guard let info, info.state.kind == .failed else { return "fire-and-forget did not fail" }
        return "fire-and-forget failed: \(info.state.detail ?? "?"); "
            + (info.retrievedAt == nil ? "no one retrieved it" : "its error was retrieved")
    }
}

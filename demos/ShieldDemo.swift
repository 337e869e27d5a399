import AsyncTopRuntime

extension DemoCatalogue {
    static let shieldDemo = Demo(
        name: "shield",
        summary: "cancelling a task that awaits a shielded save leaves the save running to its end",
        expected: "request cancelled; save done: saved",
        about: """
            asyncio's `shield`: a `request` awaiting a `save` through `shield` is cancelled after 0.2 s; \
            the request ends cancelled at once, the save runs on and finishes at 0.5 s. In the dashboard \
            the request's record says "shield: outer ... cancelled, inner ... runs on".
            """
    ) { _ in
        let save = try spawn(name: "save") { () async throws -> String in
            try await pause(0.5)
            return "saved"
        }
        let request = try spawn(name: "request") { () async throws -> String in
            try await shield(save)
        }
        try await pause(0.2)
        request.cancel(message: "client went away")
        _ = try? await request.value
        let saved = try await save.value
        return "request " + (request.cancelled ? "cancelled" : "not cancelled") + "; save done: \(saved)"
    }
}

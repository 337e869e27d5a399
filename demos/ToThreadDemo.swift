import AsyncTopRuntime
import Foundation

extension DemoCatalogue {
    /// Two seconds of blocking work on a thread beside a one-second sleep: both end after
    /// about two seconds, because the blocking call does not hold the loop.
    static let toThread = Demo(
        name: "to-thread",
        summary: "2 s of blocking work on a thread beside a 1 s sleep end after about 2 s"
    ) { loop in
        let start = loop.time()
        let blocking = try spawn(name: "blocking-io") { () async throws -> String in
            _ = try await AsyncTopRuntime.toThread(label: "sleep(2) on a thread") { Foundation.sleep(2) }
            return "blocking done"
        }
        let sleeper = try spawn(name: "sleeper") { () async throws -> String in
            try await sleep(1)
            return "sleep done"
        }
        _ = try await (blocking.value, sleeper.value)
        return String(format: "both done after %.2f s", loop.time() - start)
    }
}

import AsyncTopRuntime
import Foundation

extension DemoCatalogue {
    static let blockingTheLoop = Demo(
        name: "blocking-the-loop",
        summary: "a 0.3 s blocking call on the loop stalls a 0.05 s ticker",
        expected: "ticker stalled while blocker held the loop",
        lints: [.longStep],
        about: """
            The classic asyncio mistake: a task calls a blocking function (a 0.3 s `usleep`) on the \
            loop, and a ticker meant to tick every 0.05 s stalls until it returns. In the dashboard \
            `blocker`'s max step is 300 ms and the lints view (`l`) flags it; compare `to-thread`, which \
            moves such work off the loop.
            """
    ) { loop in
        let ticker = try spawn(name: "ticker") { () async throws -> Double in
            var longest = 0.0
            var last = loop.time()
            for _ in 1...12 {
                try await pause(0.05)
                longest = max(longest, loop.time() - last)
                last = loop.time()
            }
            return longest
        }
        let blocker = try spawn(name: "blocker") { () async throws -> Void in
            try await pause(0.1)
            // Blocks the loop's thread: nothing else on the loop runs meanwhile.
            usleep(useconds_t(Demo.scaled(0.3) * 1e6))
        }
        try await blocker.value
        let longestGap = try await ticker.value
        return longestGap >= Demo.scaled(0.25) ? "ticker stalled while blocker held the loop" : "ticker never stalled"
    }
}

import AsyncTopRuntime
import Foundation

extension DemoCatalogue {
    static let toThread = Demo(
        name: "to-thread",
        summary: "2 s of blocking work on a thread beside a 1 s sleep end after about 2 s",
        expected: "sleeper done first, then blocking-io; both within about 2 s, not 3",
        about: """
            Two seconds of blocking work on a thread beside a one-second sleep: the sleeper ends first \
            and both end after about two seconds, because the blocking call does not hold the loop. In \
            the dashboard, `blocking-io` waits on a thread-pool work item (`x` shows the executor busy) \
            while `sleeper` sleeps and finishes.
            """
    ) { loop in
        let start = loop.time()
        let finished = Queue<String>(name: "finish order")
        let blockFor = Demo.scaled(2)
        let blocking = try spawn(name: "blocking-io") { () async throws -> Void in
            _ = try await AsyncTopRuntime.toThread(label: "sleep(2) on a thread") { Thread.sleep(forTimeInterval: blockFor) }
            try finished.putNowait("blocking-io")
        }
        let sleeper = try spawn(name: "sleeper") { () async throws -> Void in
            try await pause(1)
            try finished.putNowait("sleeper")
        }
        _ = try await (blocking.value, sleeper.value)
        // In demo seconds: about 2 when the two overlap, 3 or more had the blocking call held the loop.
        let took = (loop.time() - start) * Demo.speed
        say(String(format: "both done after %.2f s of demo time", took))
        let overlap = took < 2.9 ? "both within about 2 s, not 3" : String(format: "took %.1f s", took)
        return "\(try finished.getNowait()) done first, then \(try finished.getNowait()); \(overlap)"
    }
}

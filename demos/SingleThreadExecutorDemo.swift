import AsyncTopRuntime
import Foundation
import Synchronization

extension DemoCatalogue {
    static let singleThreadExecutor = Demo(
        name: "single-thread-executor",
        summary: "4 blocking calls on a one-thread executor run one at a time, in order",
        expected: "4 calls ran one at a time, in submission order, all on serial-0",
        about: """
            A `ThreadPoolExecutor` with one worker is a serial queue for blocking calls: four tasks hand \
            it a 0.3 s call each at the same moment, and the calls run one at a time, in the order they \
            were submitted, all on the pool's one thread `serial-0`. The demo records when each call \
            really started and ended and on which thread.

            In the dashboard the four `call-N` tasks wait on "serial item N"; the executors view (`x`) \
            shows `serial` with its one worker busy and the other calls in its queue, draining one every \
            0.3 s.
            """
    ) { _ in
        let serial = try ThreadPoolExecutor(maxWorkers: 1, name: "serial")
        // Never blocks the loop: an idle pool ends at once, and calls still queued when
        // the demo is cancelled are dropped.
        defer { serial.shutdown(wait: false, cancelPending: true) }
        let callLength = Demo.scaled(0.3)
        let clock = ContinuousClock()
        let origin = clock.now
        // (call, start, end, thread) in the order the calls started.
        let runs = Mutex<[(call: Int, start: Duration, end: Duration, thread: String)]>([])
        let calls = try (1...4).map { call in
            try spawn(name: "call-\(call)") { () async throws -> Void in
                let submitted = clock.now - origin
                let (start, end, thread) = try await runInExecutor(serial, label: "call-\(call): 0.3 s of blocking work") {
                    let start = clock.now - origin
                    Thread.sleep(forTimeInterval: callLength)
                    let end = clock.now - origin
                    let thread = currentThreadName()
                    runs.withLock { $0.append((call, start, end, thread)) }
                    return (start, end, thread)
                }
                say("call-\(call) on \(thread): waited \(seconds(start - submitted)) in the queue, ran \(seconds(end - start))")
            }
        }
        for call in calls { try await call.value }
        let observed = runs.withLock { $0 }
        let overlapped = zip(observed, observed.dropFirst()).contains { $1.start < $0.end }
        let inOrder = observed.map(\.call) == Array(1...calls.count)
        let threads = Set(observed.map(\.thread)).sorted()
        return "\(observed.count) calls ran " + (overlapped ? "at the same time" : "one at a time")
            + (inOrder ? ", in submission order" : ", in the order \(observed.map(\.call))")
            + (threads.count == 1 ? ", all on \(threads[0])" : ", on \(threads.count) threads: \(threads.joined(separator: ", "))")
    }
}

/// A duration as seconds with two decimals: "0.30 s".
private func seconds(_ duration: Duration) -> String {
    let (whole, atto) = duration.components
    return String(format: "%.2f s", Double(whole) + Double(atto) / 1e18)
}

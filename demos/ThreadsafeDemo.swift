import AsyncTopRuntime
import Foundation

extension DemoCatalogue {
    static let threadsafe = Demo(
        name: "threadsafe",
        summary: "a thread outside the loop awaits one coroutine and cancels another that timed out",
        expected: "legacy-thread got 42 from quick; slow timed out after 2 s and legacy-thread cancelled it",
        about: """
            asyncio's `run_coroutine_threadsafe`: a plain thread, `legacy-thread`, that is not the \
            loop's, hands coroutines to the loop and blocks on their results. It gets `quick`'s answer \
            with `result(timeout:)`; `slow` does not finish within the thread's 2 s of patience, so its \
            `result(timeout:)` times out and the thread cancels it. The thread then reports to the loop \
            with `callSoonThreadsafe`, setting a future the demo's task awaits without blocking the \
            loop.

            In the dashboard `quick` and `slow` appear without a parent (a thread spawned them), the \
            demo's task waits on "Future thread report", and `slow` ends cancelled; its details (Enter) \
            say the cancel came from "thread legacy-thread".
            """
    ) { loop in
        let context = Demo.context()
        let report = Future<String>(name: "thread report")
        let thread = Thread {
            // Its name is what the cancel it requests will say.
            setCurrentThreadName("legacy-thread")
            let outcome = Result { try handOffFromThread(to: loop, context: context) }
            loop.callSoonThreadsafe {
                switch outcome {
                case .success(let text): try report.setResult(text)
                case .failure(let error): try report.setException(error)
                }
            }
        }
        thread.start()
        return try await report.value
    }

    /// What `legacy-thread` does, blocking it and never the loop.
    private static func handOffFromThread(to loop: EventLoop, context: Demo.Context) throws -> String {
        let me = currentThreadName()
        let quick = try loop.runCoroutineThreadsafe(name: "quick") { () async throws -> Int in
            try await context.run {
                try await pause(0.5)
                say("quick: 42, for \(me)")
                return 42
            }
        }
        // A generous limit in real time: quick's 0.5 s answer comes well before it.
        let answer = try quick.result(timeout: 30)
        context.say("\(me): quick returned \(answer)", loop: loop)

        let patience = 2.0
        let slow = try loop.runCoroutineThreadsafe(name: "slow") { () async throws -> Int in
            try await context.run {
                try await pause(3600)
                return 0
            }
        }
        let timedOut: Bool
        do {
            _ = try slow.result(timeout: context.scaled(patience))
            timedOut = false
        } catch LoopError.timedOut {
            timedOut = true
            context.say("\(me): slow has not answered in \(formatted(patience)) s; cancelling it", loop: loop)
            slow.cancel(message: "\(me) gave up after \(formatted(patience)) s")
        }
        let cancelled: Bool
        do {
            _ = try slow.result(timeout: 30)
            cancelled = false
        } catch is CancellationError {
            cancelled = true
        }
        return "\(me) got \(answer) from quick; slow "
            + (timedOut ? "timed out after \(formatted(patience)) s" : "answered in time")
            + (cancelled ? " and \(me) cancelled it" : " and was not cancelled")
    }

    private static func formatted(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}

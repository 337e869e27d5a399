import AsyncTopRuntime
import Foundation
import Synchronization

extension DemoCatalogue {
    static let orphanedThreadWork = Demo(
        name: "orphaned-thread-work",
        summary: "cancelling the await of running thread work; the work runs on, orphaned",
        expected: "upload cancelled while its thread work ran; the work ran on, orphaned, to its end",
        lints: [.orphanedWork],
        about: """
            Cancelling a task that awaits work on a thread: `upload` awaits 2 s of blocking work through \
            `toThread` and is cancelled at 0.5 s. The await ends at once, cancelled, but a thread cannot \
            be stopped from outside: the work runs on to its end, orphaned, and its result is dropped. \
            (asyncio's `to_thread` behaves the same.)

            In the dashboard `upload` ends cancelled while the executors pane (`x`) still shows the work \
            running, marked orphaned, until 2 s; the lints view names it.
            """
    ) { loop in
        let finished = Event(name: "upload work finished")
        let ranToEnd = Atomic<Bool>(false)
        let seconds = Demo.scaled(2)
        let upload = try spawn(name: "upload") { () async throws -> Void in
            try await AsyncTopRuntime.toThread(label: "upload 2 s of data") {
                Thread.sleep(forTimeInterval: seconds)
                ranToEnd.store(true, ordering: .releasing)
                _ = loop.callSoonThreadsafe { finished.set() }
            }
        }
        try await pause(0.5)
        upload.cancel(message: "user pressed cancel")
        _ = try? await upload.value
        let runningWhenCancelled = !ranToEnd.load(ordering: .acquiring)
        say("upload is \(upload.cancelled ? "cancelled" : "not cancelled"); its thread work still runs")
        try await finished.wait()
        say("the orphaned work finished; its result was dropped")
        guard upload.cancelled, runningWhenCancelled else {
            return "upload \(upload.cancelled ? "cancelled" : "not cancelled") after its work \(runningWhenCancelled ? "ran" : "ended")"
        }
        return "upload cancelled while its thread work ran; the work ran on, orphaned, to its end"
    }
}

import AsyncTopRuntime
import Foundation

extension DemoCatalogue {
    static let stubbornCancel = Demo(
        name: "stubborn-cancel",
        summary: "a busy loop ignores its cancellation; another task catches it and carries on",
        expected: "busy-loop never saw the cancel and returned normally; catcher caught it and returned: finished anyway",
        lints: [.cancelNotAcknowledged, .cancelSwallowed],
        about: """
            Two tasks that do not stop when cancelled. `busy-loop` computes in 2 ms slices and yields \
            with `Task.yield()`, which never throws: the cancellation requested at 1 s is never \
            delivered, and it runs on to its end at 3 s. `catcher` sleeps, catches the \
            `CancellationError` its sleep throws, and carries on to return normally. (In Swift a \
            cancellation stays set, so every later cancellable await would throw again; asyncio's \
            `uncancel()` has no equivalent.)

            In the dashboard both show "cancel requested" while they run on; the lints view (`l`) says \
            `busy-loop` has not acknowledged its cancellation, and, once they end, that both swallowed \
            it. The details (Enter) show who asked, when, and that it was never delivered.
            """
    ) { loop in
        let busy = try spawn(name: "busy-loop") { () async -> Bool in
            let until = loop.time() + Demo.scaled(3)
            var sawCancel = false
            while loop.time() < until {
                let slice = loop.time() + Demo.scaled(0.002)
                while loop.time() < slice {}
                // Does not throw, so the loop never notices it was cancelled.
                await Task.yield()
                sawCancel = sawCancel || Task.isCancelled
            }
            return sawCancel
        }
        let catcher = try spawn(name: "catcher") { () async -> String in
            do {
                try await pause(3600)
            } catch {
                say("catcher: caught \(error), carrying on")
            }
            // Work that does not check for cancellation.
            for _ in 0..<5 { await Task.yield() }
            return "finished anyway"
        }
        try await pause(1)
        busy.cancel(message: "stubborn-cancel demo: stop spinning")
        catcher.cancel(message: "stubborn-cancel demo: stop waiting")
        say("asked busy-loop and catcher to cancel")
        _ = try await busy.value
        let result = try await catcher.value
        let busyEnd = busy.cancelled ? "was cancelled" : "never saw the cancel and returned normally"
        return "busy-loop \(busyEnd); catcher " + (catcher.cancelled ? "was cancelled" : "caught it and returned: \(result)")
    }
}

import AsyncTopRuntime

extension DemoCatalogue {
    static let waitModes = Demo(
        name: "wait-modes",
        summary: "wait with first-completed, first-exception and all-completed with a time-out",
        expected: "first-completed: done [b], pending [a, c]; "
            + "first-exception: done [boom, ok-1], pending [ok-2], error: boom failed; "
            + "all-completed in 0.25 s: done [x, y], pending [z] (then cancelled)",
        about: """
            asyncio's `wait` and its three `return_when` modes, one after the other: `FIRST_COMPLETED` \
            returns when the quickest of three sleepers ends; `FIRST_EXCEPTION` returns when one task \
            fails (the slow one is still running); `ALL_COMPLETED` with a 0.25 s time-out returns what \
            finished in time. `wait` never cancels anything: the demo awaits or cancels the pending \
            tasks itself, and takes the failed task's error so it is not left unretrieved. In the \
            dashboard the demo task waits on "wait for 3" each time.
            """
    ) { _ in
        struct Boom: Error, CustomStringConvertible { var description: String { "boom failed" } }
        func names(_ tasks: Set<TaskHandle<String>>) -> String { "[\(tasks.map(\.name).sorted().joined(separator: ", "))]" }
        func sleeper(_ name: String, _ seconds: Double, fails: Bool = false) throws -> TaskHandle<String> {
            try spawn(name: name) { () async throws -> String in
                try await pause(seconds)
                if fails { throw Boom() }
                return name
            }
        }

        let abc = try spawnABC()
        let first = try await wait(abc, returnWhen: .firstCompleted)
        say("first-completed returned with \(names(first.done)) done")
        _ = try await wait(Array(first.pending))

        let failing = [try sleeper("ok-1", 0.1), try sleeper("boom", 0.2, fails: true), try sleeper("ok-2", 0.4)]
        let exception = try await wait(failing, returnWhen: .firstException)
        let errors = try exception.done.compactMap { try $0.exception() }.map { "\($0)" }
        say("first-exception returned when boom failed; ok-2 still runs")
        _ = try await wait(Array(exception.pending))

        let timed = [try sleeper("x", 0.1), try sleeper("y", 0.2), try sleeper("z", 0.5)]
        let all = try await wait(timed, returnWhen: .allCompleted, timeout: Demo.scaled(0.25))
        say("the time-out passed with \(names(all.pending)) pending; wait did not cancel it")
        for task in all.pending { task.cancel(message: "wait-modes demo: past the time-out") }
        _ = try await wait(Array(all.pending))

        return "first-completed: done \(names(first.done)), pending \(names(first.pending)); "
            + "first-exception: done \(names(exception.done)), pending \(names(exception.pending)), "
            + "error: \(errors.joined(separator: ", ")); "
            + "all-completed in 0.25 s: done \(names(all.done)), pending \(names(all.pending))"
            + (all.pending.allSatisfy(\.cancelled) ? " (then cancelled)" : " (not cancelled)")
    }
}

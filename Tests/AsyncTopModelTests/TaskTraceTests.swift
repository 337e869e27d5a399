import Testing
@testable import AsyncTopModel

@Suite struct TaskTraceTests {
    @Test func eachTransitionIsReportedOnceInTimeOrder() {
        var trace = TaskTrace()
        let pending = TaskInfo(id: 1, name: "a", createdAt: 10)
        #expect(trace.events(in: Snapshot(tasks: [pending])).map(\.event) == ["spawned"])
        let sleeping = TaskInfo(id: 1, name: "a", state: .suspended(.sleep(until: 500)), createdAt: 10, startedAt: 20,
                                stateSince: 30)
        let second = trace.events(in: Snapshot(tasks: [sleeping]))
        #expect(second.map(\.event) == ["started", "suspended"])
        #expect(second.last?.detail == "sleep until 0.000s")
        let done = TaskInfo(id: 1, name: "a", state: .done(result: "a"),
                            history: [Transition(at: 30, state: .suspended, detail: "sleep until 0.000s"),
                                      Transition(at: 500, state: .running)],
                            createdAt: 10, startedAt: 20, stateSince: 600, finishedAt: 600)
        let third = trace.events(in: Snapshot(tasks: [done]))
        #expect(third.map(\.event) == ["resumed", "done"])
        #expect(third.map(\.at) == [500, 600])
        #expect(trace.events(in: Snapshot(tasks: [done])).isEmpty)
    }

    @Test func aCancelRequestIsReportedOnceAndExcludedTasksNever() {
        var trace = TaskTrace(excluding: [2])
        let cancel = CancelInfo(requestedBy: .dashboard, message: "stop", requestedAt: 40)
        let task = TaskInfo(id: 1, name: "a", state: .cancelled(message: "stop"), cancel: cancel, createdAt: 10,
                            startedAt: 20, stateSince: 50, finishedAt: 50)
        let other = TaskInfo(id: 2, name: "observer", createdAt: 10)
        let events = trace.events(in: Snapshot(tasks: [task, other]))
        #expect(events.map(\.event) == ["spawned", "started", "cancel_requested", "cancelled"])
        #expect(events.allSatisfy { $0.task == 1 })
    }

    @Test func eventsPrintAsOneJSONObject() {
        let event = TraceEvent(at: 102_000_000, event: "suspended", task: 7, name: "b \"q\"", detail: "sleep")
        #expect(event.json() == #"{"t": 0.102, "event": "suspended", "task": 7, "name": "b \"q\"", "on": "sleep"}"#)
    }
}

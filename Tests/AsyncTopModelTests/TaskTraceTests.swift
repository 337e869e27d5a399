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

    @Test func aDeltaShowsWhatTheSnapshotItLeadsToShows() {
        let first = Snapshot(version: 2, tasks: [TaskInfo(id: 1, name: "a", createdAt: 10, version: 1),
                                                 TaskInfo(id: 2, name: "b", createdAt: 11, version: 2)])
        let delta = SnapshotDelta(
            fromVersion: 2, toVersion: 4, takenAt: 60, isFull: false,
            changed: [TaskInfo(id: 2, name: "b", state: .done(result: "b"), createdAt: 11, startedAt: 40, stateSince: 50,
                               finishedAt: 50, version: 3),
                      TaskInfo(id: 3, name: "c", createdAt: 45, version: 4)],
            removed: [], stats: LoopStats(), executors: [])
        var bySnapshot = TaskTrace(), byDelta = TaskTrace()
        #expect(bySnapshot.events(in: first) == byDelta.events(in: first))
        let events = byDelta.events(in: delta)
        #expect(events == bySnapshot.events(in: first.applying(delta)))
        #expect(events.map(\.event) == ["started", "spawned", "done"])
        #expect(events.map(\.at) == [40, 45, 50])
    }

    /// A task sleeping in a loop, traced sleep after sleep, as the runtime's history shows it:
    /// its first 8 transitions and its latest 24, the ones between dropped. The trace reports
    /// each transition once and remembers a bounded number of them: it took the first one
    /// kept for the oldest, forgot nothing and grew by two at every sleep (a 40 s stress run
    /// grew by hundreds of megabytes).
    @Test func aTaskSleepingInALoopIsRememberedBoundedly() {
        var trace = TaskTrace()
        let head = 8, limit = 32
        var transitions: [Transition] = []
        var total: [String: Int] = [:]
        var now = (at: Nanos(30), state: TaskState.suspended(.sleep(until: 35)))
        for round in 1...500 {
            if round > 1 {
                // The sleep that ended becomes history, and so does the step after it.
                transitions.append(Transition(at: now.at, state: .suspended, detail: now.state.detail))
                transitions.append(Transition(at: now.at + 10, state: .running))
                now = (now.at + 20, .suspended(.sleep(until: now.at + 25)))
            }
            let dropped = max(0, transitions.count - limit)
            let history = dropped == 0 ? transitions : Array(transitions.prefix(head) + transitions.suffix(limit - head))
            let task = TaskInfo(id: 1, name: "worker", state: now.state, history: history, historyDropped: dropped,
                                historyDroppedAfter: dropped > 0 ? head : nil, createdAt: 10, startedAt: 20,
                                stateSince: now.at)
            let events = trace.events(in: Snapshot(tasks: [task]))
            for event in events { total[event.event, default: 0] += 1 }
            if round > 1 { #expect(events.map(\.event) == ["resumed", "suspended"], "round \(round)") }
            #expect(trace.remembered(of: 1) <= TaskTrace.historyWindow + 8 + 4, "round \(round)")
        }
        #expect(total["resumed"] == 499 && total["suspended"] == 500)
        #expect(total["spawned"] == 1 && total["started"] == 1)
    }

    @Test func eventsInTimeOrderKeepTheOrderOfEqualTimes() {
        let events = [TraceEvent(at: 5, event: "x"), TraceEvent(at: 1, event: "a"), TraceEvent(at: 5, event: "y"),
                      TraceEvent(at: 1, event: "b"), TraceEvent(at: 3, event: "m")]
        #expect(events.inTimeOrder().map(\.event) == ["a", "b", "m", "x", "y"])
    }

    @Test func eventsPrintAsOneJSONObject() {
        let event = TraceEvent(at: 102_000_000, event: "suspended", task: 7, name: "b \"q\"", detail: "sleep")
        #expect(event.json() == #"{"t": 0.102, "event": "suspended", "task": 7, "name": "b \"q\"", "on": "sleep"}"#)
    }
}

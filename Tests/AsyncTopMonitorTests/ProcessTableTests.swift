import AsyncTopClient
import AsyncTopModel
import Testing

struct ProcessTableTests {
    let snapshot = Snapshot(takenAt: 3_000_000_000, tasks: [
        TaskInfo(id: 1, name: "main", state: .suspended(.children(count: 2)), createdAt: 0),
        TaskInfo(id: 2, parentID: 1, name: "a", state: .suspended(.sleep(until: 5_000_000_000)), createdAt: 1_000_000_000),
        TaskInfo(id: 3, parentID: 2, name: nil, origin: .asyncLet, state: .running, createdAt: 2_000_000_000),
        TaskInfo(id: 4, parentID: 1, name: "b", state: .cancelled(message: "bye"), createdAt: 2_500_000_000),
        TaskInfo(id: 9, parentID: 77, name: "orphan", state: .pending, createdAt: 3_000_000_000),
    ])

    @Test func psIsAFlatTableWithTheAsyncioColumns() {
        let lines = ProcessTable.psText(snapshot).split(separator: "\n").map(String.init)
        #expect(lines == [
            "ID  NAME       STATE      WAITING ON          PARENT  EXECUTOR  AGE",
            "1   main       suspended  2 children          -       loop      3.0s",
            "2   a          suspended  sleep until 5.000s  1       loop      2.0s",
            "3   async let  running    -                   2       loop      1.0s",
            "4   b          cancelled  -                   1       loop      0.5s",
            "9   orphan     pending    -                   77      loop      0.0s",
        ])
    }

    @Test func stacksUnderEachWaitingTaskAndWhyOneHasNone() {
        // a (2) has a stack (a runtime frame hidden unless every frame is asked for); main (1)
        // none was captured (a recording made before stacks, say); the pending orphan has not
        // started; running and finished tasks get no stack lines.
        let stack = TaskStack(frames: [StackFrame(function: "Lock.acquire()", runtime: true),
                                       StackFrame(function: "transfer(_:)", file: "/src/Bank.swift", line: 41, column: 9),
                                       StackFrame(function: "closure #1 in main()", file: "/src/main.swift", line: 7)],
                              capturedAt: 2_900_000_000)
        var withStack = snapshot
        withStack.tasks[1] = TaskInfo(id: 2, parentID: 1, name: "a", site: "main.swift:7", state: .suspended(.sleep(until: 5_000_000_000)),
                                      createdAt: 1_000_000_000, stack: stack)
        #expect(ProcessTable.psText(withStack, stacks: .own).split(separator: "\n").map(String.init) == [
            "ID  NAME       STATE      WAITING ON          PARENT  EXECUTOR  AGE",
            "1   main       suspended  2 children          -       loop      3.0s",
            "    (no stack captured)",
            "2   a          suspended  sleep until 5.000s  1       loop      2.0s",
            "    at transfer(_:) (Bank.swift:41)",
            "    at closure #1 in main() (main.swift:7)",
            "    spawned at main.swift:7",
            "3   async let  running    -                   2       loop      1.0s",
            "4   b          cancelled  -                   1       loop      0.5s",
            "9   orphan     pending    -                   77      loop      0.0s",
            "    (not started yet)",
        ])
        let all = ProcessTable.rows(withStack, stacks: .all)
        #expect(all[1].stack?.map(\.function) == ["Lock.acquire()", "transfer(_:)", "closure #1 in main()"])
        #expect(ProcessTable.rows(withStack).allSatisfy { $0.stack == nil && $0.stackProblem == nil })
    }

    @Test func pstreeOfALoopWithoutTasksSaysSo() {
        #expect(ProcessTable.treeText(Snapshot(loopName: "idle", tasks: [])) == "no tasks on loop idle\n")
    }

    @Test func pstreeNestsChildrenAndKeepsOrphansAsRoots() {
        #expect(ProcessTable.treeText(snapshot) == """
            main (1) suspended on 2 children
            ├── a (2) suspended on sleep until 5.000s
            │   └── async let (3) running
            └── b (4) cancelled
            orphan (9) pending

            """)
        let roots = ProcessTable.tree(snapshot)
        #expect(roots.map(\.id) == [1, 9])
        #expect(roots[0].children.map(\.id) == [2, 4])
    }
}

extension ProcessTableTests {
    @Test func psJSONCarriesStepTimeAndLatencyPercentilesWhenKnown() throws {
        var steps = DurationHistogram(precision: 0)
        var latencies = DurationHistogram(precision: 0)
        for v: Nanos in [1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 64_000] { steps.record(v) }
        for v: Nanos in [500, 500, 500, 500, 500, 500, 500, 500, 500, 8_000] { latencies.record(v) }
        var timed = snapshot
        timed.tasks[1] = TaskInfo(id: 2, parentID: 1, name: "a", state: .suspended(.sleep(until: 5_000_000_000)),
                                  createdAt: 1_000_000_000, steps: 10, busy: steps.sum, lastStep: 1_000, maxStep: 64_000,
                                  lastLatency: 500, maxLatency: 8_000, stepHistogram: steps, latencyHistogram: latencies)
        timed.tasks[3] = TaskInfo(id: 4, parentID: 1, name: "b", state: .cancelled(message: "bye"), createdAt: 2_500_000_000,
                                  steps: 1, busy: 3_000, lastStep: 3_000, maxStep: 3_000, lastLatency: 700, maxLatency: 700)
        let rows = ProcessTable.rows(timed)
        let a = try #require(rows.first { $0.id == 2 })
        let stepTime = try #require(a.stepTime)
        #expect(stepTime.count == 10)
        #expect(stepTime.max == 64_000)
        #expect(stepTime.p50 >= 512 && stepTime.p50 < 1_024, "within the power-of-two bucket of 1 µs")
        #expect(stepTime.p99 > 32_768 && stepTime.p99 <= 64_000)
        #expect(a.latency?.count == 10 && a.latency?.max == 8_000)
        // A task that ran once: its one step; one that never ran: nothing.
        let b = try #require(rows.first { $0.id == 4 })
        #expect(b.stepTime == ProcessTable.Percentiles(p50: 3_000, p90: 3_000, p99: 3_000, max: 3_000, count: 1))
        #expect(b.latency?.p99 == 700)
        #expect(rows.first { $0.id == 9 }?.stepTime == nil)
        #expect(rows.first { $0.id == 1 }?.latency == nil)
        // On the wire, in nanoseconds under "stepTime" and "latency".
        let json = ProcessTable.json(rows)
        #expect(json.contains("\"stepTime\" : {"))
        #expect(json.contains("\"max\" : 64000"))
        #expect(json.contains("\"p50\" : 3000"))
    }
}

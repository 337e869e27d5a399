import AsyncTopModel
import AsyncTopRuntime
import AsyncTopTUI
import Foundation

/// The dashboard's costs, measured without a terminal.
enum DashboardWorkloads {
    /// `render`: N tasks in a tree (parents every fourth id) rendered into a 120×40 Screen:
    /// the task list built from the snapshot, then one frame, 20 times. OPS = frames.
    /// `lints_ms` is one evaluation of the snapshot's lints, which the dashboard does once
    /// per new snapshot, not per frame.
    static func render(n: Int) -> Measured {
        let snapshot = treeSnapshot(n)
        let state = ViewState()
        let report = LintReport(snapshot: snapshot, thresholds: state.lintThresholds)
        let frames = 20
        var buildSeconds = 0.0, renderSeconds = 0.0
        var check = 0
        for _ in 0..<frames {
            let t0 = now()
            let list = TaskList(snapshot: snapshot, options: state.listOptions)
            let t1 = now()
            let screen = AsyncTopTUI.render(list: list, lints: report, state: state, size: (rows: 40, cols: 120))
            let t2 = now()
            check &+= screen.rows
            buildSeconds += t1 - t0
            renderSeconds += t2 - t1
        }
        precondition(check == 40 * frames)
        let seconds = buildSeconds + renderSeconds
        let lints = timeLints(snapshot, runs: frames)
        return Measured(seconds: seconds, ops: frames, extras: [
            "ms_per_frame": seconds / Double(frames) * 1e3,
            "build_ms": buildSeconds / Double(frames) * 1e3,
            "draw_ms": renderSeconds / Double(frames) * 1e3,
            "lints_ms": lints.ms,
        ])
    }

    /// `lints`: `Lints.evaluate` on N tasks that give every kind of lint: one task in 100 with
    /// a long step, a cancellation ignored or swallowed, or an error never retrieved; a sixth
    /// of them waiting on ten semaphores, a sixth awaiting another task, orphaned thread
    /// work, and deadlocked pairs of tasks over locks. 20 evaluations; OPS = evaluations.
    static func lints(n: Int) -> Measured {
        let snapshot = lintSnapshot(n)
        let runs = 20
        let (ms, count) = timeLints(snapshot, runs: runs)
        return Measured(seconds: ms * Double(runs) / 1e3, ops: runs, extras: ["lints_ms": ms, "lints": Double(count)])
    }

    /// The mean milliseconds of `Lints.evaluate(snapshot)` over `runs`, and how many lints it gave.
    static func timeLints(_ snapshot: Snapshot, runs: Int) -> (ms: Double, count: Int) {
        var seconds = 0.0, count = 0
        for _ in 0..<runs {
            let t0 = now()
            count = Lints.evaluate(snapshot).count
            seconds += now() - t0
        }
        return (seconds / Double(runs) * 1e3, count)
    }

    /// `dashboard_cpu`: a loop with N parked tasks and ten busy ones; a dashboard thread pulls
    /// a snapshot, updates its task list and lints and renders a frame ten times a second for five
    /// seconds. Reports the dashboard thread's CPU share (the snapshots themselves are built
    /// on the loop's thread).
    static func dashboardCPU(n: Int) async throws -> Measured {
        let loop = EventLoop(name: "bench")
        let running = Task.detached { try await loop.runForever() }
        let event = Event(name: "never")
        for i in 0..<n { try loop.spawn(name: i % 1000 == 0 ? "parked \(i)" : nil) { try await event.wait() } }
        for i in 0..<10 {
            try loop.spawn(name: "ticker \(i)") { while true { try await sleep(0.01) } }
        }
        let duration = 5.0
        let measured: (cpu: Double, wall: Double, frames: Int) = await withCheckedContinuation { continuation in
            let thread = Thread {
                var state = ViewState()
                state.pageSize = 30
                var list = TaskList(snapshot: loop.snapshot(), options: state.listOptions)
                var lints = LintReport(snapshot: list.snapshot, thresholds: state.lintThresholds)
                let cpu0 = threadCPUSeconds(), wall0 = now()
                var frames = 0
                var next = wall0
                while now() - wall0 < duration {
                    list = list.updating(to: loop.snapshot())
                    lints = lints.updating(to: list.snapshot, thresholds: state.lintThresholds)
                    _ = AsyncTopTUI.render(list: list, lints: lints, state: state, size: (rows: 40, cols: 120))
                    frames += 1
                    next += 0.1
                    let pause = next - now()
                    if pause > 0 { Thread.sleep(forTimeInterval: pause) }
                }
                continuation.resume(returning: (threadCPUSeconds() - cpu0, now() - wall0, frames))
            }
            thread.start()
        }
        loop.stop()
        _ = try? await running.value
        return Measured(seconds: measured.wall, ops: measured.frames, extras: [
            "dashboard_cpu_share": measured.cpu / measured.wall,
        ])
    }

    /// A snapshot of `n` tasks: task i's parent is i/4, states varied.
    static func treeSnapshot(_ n: Int) -> Snapshot {
        let states: [TaskState] = [.running, .suspended(.sleep(until: 5_000_000)), .suspended(.task(3)),
                                   .done(result: "42"), .pending, .suspended(.unknown)]
        let tasks = (1...max(1, n)).map { i in
            TaskInfo(id: TaskID(i), parentID: i > 1 ? TaskID(i / 4 + 1) : nil, name: "task \(i)",
                     state: states[i % states.count], createdAt: UInt64(i) * 1000, steps: UInt64(i % 17),
                     busy: UInt64(i % 1000) * 1000)
        }
        return Snapshot(version: 1, takenAt: UInt64(n) * 1000 + 1, tasks: tasks)
    }

    /// ``treeSnapshot(_:)``'s tree with problems of every kind in it (see ``lints(n:)``).
    static func lintSnapshot(_ n: Int) -> Snapshot {
        let n = max(100, n)
        let ms: Nanos = 1_000_000
        let takenAt = Nanos(n) * 1000 + 10_000 * ms
        // Tasks 10, 20, 30… deadlock in pairs: 10 holds lock A and waits on B, 20 the reverse.
        let pairs = stride(from: 10, through: n - 10, by: 1000).map { (TaskID($0), TaskID($0 + 10)) }
        var lockOf: [TaskID: (holds: UInt64, waits: UInt64)] = [:]
        var resources = (1...10).map { ResourceInfo(id: UInt64($0), kind: "Semaphore", name: "slots \($0)", holders: [TaskID($0)]) }
        for (k, (a, b)) in pairs.enumerated() {
            let lockA = UInt64(100 + 2 * k), lockB = lockA + 1
            lockOf[a] = (lockA, lockB)
            lockOf[b] = (lockB, lockA)
            resources.append(ResourceInfo(id: lockA, kind: "Lock", name: "a\(k)", holders: [a]))
            resources.append(ResourceInfo(id: lockB, kind: "Lock", name: "b\(k)", holders: [b]))
        }
        let tasks = (1...n).map { i -> TaskInfo in
            let id = TaskID(i)
            let parent = i > 1 ? TaskID(i / 4 + 1) : nil
            if let locks = lockOf[id] {
                return TaskInfo(id: id, parentID: parent, name: "locker \(i)",
                                state: .suspended(.resource(kind: "Lock", id: locks.waits, name: nil)), createdAt: 0)
            }
            let state: TaskState = switch i % 6 {
            case 0: .running
            case 1: .suspended(.resource(kind: "Semaphore", id: UInt64(1 + i % 10), name: "slots \(1 + i % 10)"))
            case 2: .suspended(.task(TaskID(max(1, i - 7))))
            case 3: .done(result: "42")
            case 4: .pending
            default: .suspended(.sleep(until: takenAt + ms))
            }
            var cancel: CancelInfo?, failed = false
            switch i % 100 {
            case 11: cancel = CancelInfo(requestedBy: .dashboard, message: nil, requestedAt: 0)
            case 23: cancel = CancelInfo(requestedBy: .task(1), message: nil, requestedAt: 0, deliveredAt: ms,
                                         deliveredIn: "sleep", outcome: .swallowed)
            case 37: failed = true
            default: break
            }
            let swallowed = cancel?.outcome == .swallowed
            let finalState: TaskState = failed ? .failed(error: "boom") : (swallowed ? .done(result: nil) : state)
            let finishedAt: Nanos? = failed || swallowed ? 2 * ms : nil
            let maxStep: Nanos = i % 100 == 5 ? 300 * ms : 10_000
            return TaskInfo(id: id, parentID: parent, name: "task \(i)", state: finalState, cancel: cancel,
                            createdAt: 0, startedAt: 1, finishedAt: finishedAt, steps: 3, maxStep: maxStep)
        }
        let workers = (0..<8).map { (w: Int) -> WorkerInfo in
            let owner = TaskID(11 + 100 * w)
            return WorkerInfo(name: "pool-\(w)", item: UInt64(w), awaitingTask: owner, since: ms,
                              label: "work \(w)", orphaned: w % 2 == 0)
        }
        return Snapshot(version: 1, takenAt: takenAt, tasks: tasks,
                        executors: [ExecutorInfo(name: "pool", kind: .threads, workers: workers)], resources: resources)
    }
}

/// CPU seconds the calling thread has used.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

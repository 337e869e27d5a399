import AsyncTopModel
import AsyncTopRuntime
import AsyncTopTUI
import Foundation

/// The dashboard's costs, measured without a terminal.
enum DashboardWorkloads {
    /// `render`: N tasks in a tree (parents every fourth id) rendered into a 120×40 Screen:
    /// the task list built from the snapshot, then one frame, 20 times. OPS = frames.
    static func render(n: Int) -> Measured {
        let snapshot = treeSnapshot(n)
        let state = ViewState()
        let frames = 20
        var buildSeconds = 0.0, renderSeconds = 0.0
        var check = 0
        for _ in 0..<frames {
            let t0 = now()
            let list = TaskList(snapshot: snapshot, options: state.listOptions)
            let t1 = now()
            let screen = AsyncTopTUI.render(list: list, state: state, size: (rows: 40, cols: 120))
            let t2 = now()
            check &+= screen.rows
            buildSeconds += t1 - t0
            renderSeconds += t2 - t1
        }
        precondition(check == 40 * frames)
        let seconds = buildSeconds + renderSeconds
        return Measured(seconds: seconds, ops: frames, extras: [
            "ms_per_frame": seconds / Double(frames) * 1e3,
            "build_ms": buildSeconds / Double(frames) * 1e3,
            "draw_ms": renderSeconds / Double(frames) * 1e3,
        ])
    }

    /// `dashboard_cpu`: a loop with N parked tasks and ten busy ones; a dashboard thread pulls
    /// a snapshot, updates its task list and renders a frame ten times a second for five
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
                let cpu0 = threadCPUSeconds(), wall0 = now()
                var frames = 0
                var next = wall0
                while now() - wall0 < duration {
                    list = list.updating(to: loop.snapshot())
                    _ = AsyncTopTUI.render(list: list, state: state, size: (rows: 40, cols: 120))
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
}

/// CPU seconds the calling thread has used.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

// A program that opts in to the monitor with one line, as a user's program would.
// Usage: asynctop-monitor-fixture (SOCKET | --from-environment | --plain-loop) [--record FILE] [--allow-launch]
//        [--tasks N] [--deadlock]  (two tasks, left and right, take Locks first and second in opposite order)
//        [--stacks]  (tasks parked at known places: see Nesting.swift)
//        [--second-loop]  (a loop "workers" on a thread of its own, started before the monitor)
//        [--late-loop]  (a loop "late" started once the monitor is up; it closes after --late-loop-seconds S)
// --plain-loop: no monitor in the code at all; `EventLoop(name:)` and `runUntilComplete`, as
// a program written without asynctop in mind (ASYNCTOP_SOCKET / ASYNCTOP_RECORD still apply).
//        [--global-executor]  (`GlobalExecutorMonitor.install()` first, then plain Swift tasks beside
//        the loop: "plain-sleeper", "plain-group" with children "plain-child-1…2", a task group
//        in a loop task, and a continuation resumed only by cancellation, "plain-cancellable",
//        which prints "plain-cancellable cancelled" when cancelled)
//        [--global-executor-from-a-task]  (the same, `install()` called from a detached task)
// Prints "ready" once its tasks exist; runs until killed.
import AsyncTopRuntime
import Foundation

let arguments = CommandLine.arguments
if arguments.contains("--global-executor") {
    // First, as the documentation asks: this may restart the program under the observer.
    let status = GlobalExecutorMonitor.install()
    FileHandle.standardOutput.write(Data("global executor: \(status)\n".utf8))
} else if arguments.contains("--global-executor-from-a-task") {
    // From a thread of the cooperative pool, which blocks most signals.
    let status = await Task.detached { GlobalExecutorMonitor.install() }.value
    FileHandle.standardOutput.write(Data("global executor: \(status)\n".utf8))
}
let fromEnvironment = arguments.contains("--from-environment")
let plainLoop = arguments.contains("--plain-loop")
let socketPath = arguments.count > 1 && !fromEnvironment && !plainLoop ? arguments[1] : nil
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
let extraTasks = option("--tasks").flatMap(Int.init) ?? 0
var configuration = MonitorConfiguration.socket(socketPath)
configuration.recordPath = option("--record")
if arguments.contains("--allow-launch") {
    configuration.demos = ["burst"]
    configuration.launch = { _, loop in
        _ = try? loop.spawn(name: "burst") { try await sleep(0.2) }
    }
}

/// Runs a loop named `name` (on its own thread, as every loop), with a few named tasks;
/// returns once they exist. It closes after `seconds`, if given.
func startLoop(named name: String, closingAfter seconds: Double? = nil) async {
    let ready = AsyncStream<Void>.makeStream()
    Task.detached {
        let loop = EventLoop(name: name)
        _ = try? await loop.runUntilComplete {
            for i in 1...3 { _ = try spawn(name: "\(name)-sleeper-\(i)") { try await sleep(3600) } }
            _ = try spawn(name: "\(name)-ticker") { while true { try await sleep(0.05) } }
            ready.continuation.yield()
            try await sleep(seconds ?? 3600)
        }
        _ = await loop.cancelAllTasks()
        try? loop.close()
    }
    for await _ in ready.stream { break }
}

if arguments.contains("--second-loop") { await startLoop(named: "workers") }

@Sendable func workload() async throws {
    if arguments.contains("--late-loop") {
        let seconds = option("--late-loop-seconds").flatMap(Double.init)
        await startLoop(named: "late", closingAfter: seconds)
    }
    for i in 1...3 { _ = try spawn(name: "sleeper-\(i)") { try await sleep(3600) } }
    let child = try spawn(name: "child") { try await sleep(3600) }
    _ = try spawn(name: "parent") { try await child.value }
    // Its `async let` child is a native task: not cancellable by id.
    _ = try spawn(name: "holder") {
        async let inner: Void = sleep(3600)
        try await inner
    }
    _ = try spawn(name: "ticker") {
        var n = 0
        while true { try await sleep(0.05); n += 1 }
    }
    for i in 0..<extraTasks { _ = try spawn(name: "idle-\(i)") { try await sleep(3600) } }
    if arguments.contains("--deadlock") {
        let first = Lock(name: "first"), second = Lock(name: "second")
        for (name, a, b) in [("left", first, second), ("right", second, first)] {
            _ = try spawn(name: name) { try await a.withLock { try await sleep(0.05); try await b.withLock {} } }
        }
    }
    if arguments.contains("--stacks") { try await spawnParkedTasks() }
    if arguments.contains("--global-executor") || arguments.contains("--global-executor-from-a-task") { await startPlainTasks() }
    FileHandle.standardOutput.write(Data("ready\n".utf8))
    try await sleep(3600)
}

/// Plain Swift tasks on the global executor, and a group in a loop task (the loop's).
func startPlainTasks() async {
    Task(name: "plain-sleeper") { try await Task.sleep(for: .seconds(3600)) }
    Task(name: "plain-group") {
        await withTaskGroup(of: Void.self) { group in
            for i in 1...2 { group.addTask(name: "plain-child-\(i)") { try? await Task.sleep(for: .seconds(3600)) } }
        }
    }
    Task(name: "plain-cancellable") {
        await withTaskCancellationHandler {
            try? await Task.sleep(for: .seconds(3600))
        } onCancel: {
            FileHandle.standardOutput.write(Data("plain-cancellable cancelled\n".utf8))
        }
    }
    _ = try? spawn(name: "loop-group") {
        await withTaskGroup(of: Void.self) { group in
            group.addTask(name: "loop-group-child") { try? await sleep(3600) }
        }
    }
    try? await Task.sleep(for: .milliseconds(50))
}

do {
    if plainLoop {
        let loop = EventLoop(name: "plain")
        try await loop.runUntilComplete(workload)
    } else {
        try await EventLoop.run(name: "fixture", monitor: fromEnvironment ? .fromEnvironment() : configuration, main: workload)
    }
} catch {
    FileHandle.standardOutput.write(Data("error: \(error)\n".utf8))
    exit(1)
}

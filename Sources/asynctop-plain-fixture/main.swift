// A plain Swift program that knows nothing of asynctop: the tests watch it with
// `asynctop run`. Its tasks hold for `--hold SECONDS` (default 600) and it exits with
// `--exit CODE` (default 0) once they are done.
//
// `--workload spawn|mix --tasks N` runs a benchmark workload instead and prints
// "elapsed NANOSECONDS" (asynctop-bench's observer workloads time it watched and not).
@preconcurrency import Foundation

setlinebuf(stdout)
let arguments = CommandLine.arguments
func option(_ name: String) -> String? { arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } }
// The README's commands run it as `./my-server`, without arguments: the hold then comes
// from the environment.
let hold = Double(option("--hold") ?? ProcessInfo.processInfo.environment["PLAIN_FIXTURE_HOLD"] ?? "600") ?? 600
let exitCode = Int32(option("--exit") ?? "0") ?? 0

actor Tally {
    private(set) var count = 0
    func add() { count += 1 }
}

/// N children in task groups of 1,000, each returning its index: spawn-heavy.
func spawnWorkload(_ n: Int) async {
    var total = 0
    for batch in stride(from: 0, to: n, by: 1_000) {
        total &+= await withTaskGroup(of: Int.self) { group in
            for index in batch..<min(n, batch + 1_000) { group.addTask { index } }
            return await group.reduce(0, &+)
        }
    }
    precondition(total == n * (n - 1) / 2)
}

/// A typical mix: request handlers (unstructured tasks) that each do some work, call an
/// actor, yield, await an async let and a continuation resumed by another task.
func mixWorkload(_ n: Int) async {
    let tally = Tally()
    func work(_ seed: Int) -> Int {
        var hash = seed
        for _ in 0..<2_000 { hash = hash &* 31 &+ 7 }
        return hash
    }
    for batch in stride(from: 0, to: n, by: 200) {
        await withTaskGroup(of: Void.self) { group in
            for index in batch..<min(n, batch + 200) {
                group.addTask {
                    let handler = Task {
                        async let part = work(index)
                        await tally.add()
                        await Task.yield()
                        let other = await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
                            Task { continuation.resume(returning: work(index + 1)) }
                        }
                        return await part &+ other
                    }
                    _ = await handler.value
                }
            }
        }
    }
}

func slowValue() async -> Int {
    try? await Task.sleep(for: .seconds(hold))
    return 7
}

func resumedFromAThread() async -> Int {
    await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: hold)
            continuation.resume(returning: 1)
        }
    }
}

if let workload = option("--workload") {
    let tasks = Int(option("--tasks") ?? "100000") ?? 100_000
    // Time for a client to attach before the timed part.
    if let delay = option("--delay").flatMap(Double.init) { try? await Task.sleep(for: .seconds(delay)) }
    func cpuTime() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000_000 + Int(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1_000
    }
    let start = ContinuousClock.now, cpuStart = cpuTime()
    switch workload {
    case "spawn": await spawnWorkload(tasks)
    case "mix": await mixWorkload(tasks)
    default:
        print("unknown workload \(workload)")
        exit(64)
    }
    let elapsed = ContinuousClock.now - start
    print("elapsed \(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)")
    // The process's CPU time over the same part, every thread's: steadier than the elapsed
    // time when the pool's two threads wait on each other.
    print("cpu \(cpuTime() - cpuStart)")
    exit(0)
}

print("plain fixture \(getpid()) started")
// A child process of its own (a copy running a small workload), which inherits the
// environment `asynctop run` gave: it must run as it would alone.
if arguments.contains("--spawn-child") {
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
    child.arguments = ["--workload", "spawn", "--tasks", "2000"]
    let pipe = Pipe()
    child.standardOutput = pipe
    try? child.run()
    let said = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    child.waitUntilExit()
    print("child exited \(child.terminationStatus): \(said.trimmingCharacters(in: .whitespacesAndNewlines))")
}
let tally = Tally()

let waiter = Task(name: "cancellable-waiter") {
    do {
        try await Task.sleep(for: .seconds(hold))
        print("cancellable-waiter finished its sleep")
    } catch {
        print("cancellable-waiter was cancelled")
        throw error
    }
}

let catcher = Task(name: "cancel-catcher") {
    do {
        try await Task.sleep(for: .seconds(hold))
    } catch {
        print("cancel-catcher caught its cancellation and goes on")
    }
    await tally.add()
    return "caught"
}

let detached = Task.detached(name: "detached-sleeper") {
    try? await Task.sleep(for: .seconds(hold))
    await tally.add()
}

let groupOwner = Task(name: "group-owner") {
    await withTaskGroup(of: Void.self) { group in
        for index in 0..<3 {
            group.addTask(name: "group-child-\(index)") {
                try? await Task.sleep(for: .seconds(hold))
                await tally.add()
            }
        }
    }
}

let asyncLetOwner = Task(name: "async-let-owner") {
    async let value = slowValue()
    return await value
}

let continuationWaiter = Task(name: "continuation-waiter") {
    await resumedFromAThread()
}

let unnamed = Task {
    for _ in 0..<3 { await tally.add() }
}

_ = try? await waiter.value
_ = await catcher.value
await detached.value
await groupOwner.value
_ = await asyncLetOwner.value
_ = await continuationWaiter.value
await unnamed.value
print("plain fixture done: tally \(await tally.count)")
exit(exitCode)

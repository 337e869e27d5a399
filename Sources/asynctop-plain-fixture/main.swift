// A plain Swift program that knows nothing of asynctop: the tests watch it with
// `asynctop run`. Its tasks hold for `--hold SECONDS` (default 600) and it exits with
// `--exit CODE` (default 0) once they are done.
@preconcurrency import Foundation

setlinebuf(stdout)
let arguments = CommandLine.arguments
func option(_ name: String) -> String? { arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } }
let hold = Double(option("--hold") ?? "600") ?? 600
let exitCode = Int32(option("--exit") ?? "0") ?? 0

actor Tally {
    private(set) var count = 0
    func add() { count += 1 }
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

print("plain fixture \(getpid()) started")
let tally = Tally()

let waiter = Task(name: "cancellable-waiter") {
    do {
        try await Task.sleep(for: .seconds(hold))
        print("cancellable-waiter finished its sleep")
    } catch {
        print("cancellable-waiter was cancelled")
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

await waiter.value
_ = await catcher.value
await detached.value
await groupOwner.value
_ = await asyncLetOwner.value
_ = await continuationWaiter.value
await unnamed.value
print("plain fixture done: tally \(await tally.count)")
exit(exitCode)

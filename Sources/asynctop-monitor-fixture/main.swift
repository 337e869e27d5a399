// A program that opts in to the monitor with one line, as a user's program would.
// Usage: asynctop-monitor-fixture (SOCKET | --from-environment) [--record FILE] [--allow-launch] [--tasks N]
//        [--deadlock]  (two tasks, left and right, take Locks first and second in opposite order)
// Prints "ready" once its tasks exist; runs until killed.
import AsyncTopRuntime
import Foundation

let arguments = CommandLine.arguments
let fromEnvironment = arguments.contains("--from-environment")
let socketPath = arguments.count > 1 && !fromEnvironment ? arguments[1] : nil
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

do {
try await EventLoop.run(name: "fixture", monitor: fromEnvironment ? .fromEnvironment() : configuration) {
    for i in 1...3 { _ = try spawn(name: "sleeper-\(i)") { try await sleep(3600) } }
    let child = try spawn(name: "child") { try await sleep(3600) }
    _ = try spawn(name: "parent") { try await child.value }
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
    FileHandle.standardOutput.write(Data("ready\n".utf8))
    try await sleep(3600)
}
} catch {
    FileHandle.standardOutput.write(Data("error: \(error)\n".utf8))
    exit(1)
}

import AsyncTopRuntime
import Foundation

// `--stacks`: tasks parked at known places, for the async stack tests. Each place is said
// on standard output before "ready" as `expect TASK FUNCTION LINE` (innermost first for
// the nested one), with lines from `#line`, so the tests never hard-code them.

let nestedLevel3Line = #line + 2
func level3(_ lock: Lock) async throws {
    try await lock.acquire()
}

let nestedLevel2Line = #line + 2
func level2(_ lock: Lock) async throws {
    try await level3(lock)
}

let nestedLevel1Line = #line + 2
func level1(_ lock: Lock) async throws {
    try await level2(lock)
}

let nappingLine = #line + 2
func napping() async throws {
    try await sleep(3600)
}

let queueLine = #line + 2
func takeFromQueue(_ queue: Queue<Int>) async throws -> Int {
    try await queue.get()
}

let childLine = #line + 3
func awaitChild() async throws {
    let child = try spawn(name: "awaited-child") { try await sleep(3600) }
    try await child.value
}

let groupLine = #line + 4
func awaitGroup() async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await sleep(3600) }
        try await group.waitForAll()
    }
}

let asyncLetLine = #line + 3
func awaitAsyncLet() async throws {
    async let slept: Void = sleep(3600)
    try await slept
}

/// Spawns the parked tasks and says where each waits.
func spawnParkedTasks() async throws {
    let lock = Lock(name: "held")
    try await lock.acquire()
    let queue = Queue<Int>()
    _ = try spawn(name: "nested") { try await level1(lock) }
    _ = try spawn(name: "napping") { try await napping() }
    _ = try spawn(name: "queue-waiter") { _ = try await takeFromQueue(queue) }
    _ = try spawn(name: "child-waiter") { try await awaitChild() }
    _ = try spawn(name: "group-waiter") { try await awaitGroup() }
    _ = try spawn(name: "async-let-waiter") { try await awaitAsyncLet() }
    let expected = [
        ("nested", "level3", nestedLevel3Line), ("nested", "level2", nestedLevel2Line), ("nested", "level1", nestedLevel1Line),
        ("napping", "napping", nappingLine), ("queue-waiter", "takeFromQueue", queueLine),
        ("child-waiter", "awaitChild", childLine), ("group-waiter", "awaitGroup", groupLine),
        ("async-let-waiter", "awaitAsyncLet", asyncLetLine),
    ]
    for (task, function, line) in expected {
        FileHandle.standardOutput.write(Data("expect \(task) \(function) \(line)\n".utf8))
    }
}

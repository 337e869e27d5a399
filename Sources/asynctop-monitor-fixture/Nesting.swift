import AsyncTopRuntime
import Foundation

// `--stacks`: tasks parked at known places, for the async stack tests. Each place is said
// on standard output before "ready" as `expect TASK FUNCTION LINE` (innermost first for
// the nested one), with lines from `#line`, so the tests never hard-code them.
//
// Each function does something after its await, as most code does: an await in tail
// position leaves nothing to resume in its function, so an optimized build drops that
// function from the task's chain of contexts (there is no frame of it to show).

/// A side effect after an await, which the optimizer cannot remove.
@inline(never) func resumed(_ place: String) {
    FileHandle.standardOutput.write(Data("resumed \(place)\n".utf8))
}

let nestedLevel3Line = #line + 2
func level3(_ lock: Lock) async throws {
    try await lock.acquire()
    resumed("level3")
}

let nestedLevel2Line = #line + 2
func level2(_ lock: Lock) async throws {
    try await level3(lock)
    resumed("level2")
}

let nestedLevel1Line = #line + 2
func level1(_ lock: Lock) async throws {
    try await level2(lock)
    resumed("level1")
}

let nappingLine = #line + 2
func napping() async throws {
    try await sleep(3600)
    resumed("napping")
}

let queueLine = #line + 2
func takeFromQueue(_ queue: Queue<Int>) async throws -> Int {
    let item = try await queue.get()
    resumed("queue")
    return item
}

let childLine = #line + 3
func awaitChild() async throws {
    let child = try spawn(name: "awaited-child") { try await sleep(3600) }
    try await child.value
    resumed("child")
}

let groupLine = #line + 2
func awaitGroup() async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await sleep(3600) }
        try await group.waitForAll()
        resumed("group")
    }
}

let asyncLetLine = #line + 3
func awaitAsyncLet() async throws {
    async let slept: Void = sleep(3600)
    try await slept
    resumed("async let")
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

import AsyncTopRuntime
import Foundation

/// `stacks N`: the cost of async stacks. N tasks parked three calls deep on an event; then
/// the first stack of the process (cold: the binary's debug information is read), single
/// stacks of fresh tasks (warm: the addresses are cached), and all N at once.
enum StackWorkloads {
    static func stacks(n: Int) async throws -> Measured {
        let loop = EventLoop.current!
        let event = Event(name: "never")
        let parked = try (0..<n).map { _ in try spawn { try await parkedLevel1(event) } }
        try await sleep(0)
        var next = 0
        func ask(_ count: Int) async -> Double {
            let ids = parked[next..<min(n, next + count)].map(\.id)
            next += ids.count
            let start = now()
            let answers = await loop.stacks(of: ids)
            let seconds = now() - start
            for id in ids {
                guard case .stack(let stack)? = answers[id], stack.frames.contains(where: { $0.function.hasPrefix("parkedLevel3") }) else {
                    fatalError("no stack for task \(id): \(String(describing: answers[id]))")
                }
            }
            return seconds
        }
        let cold = await ask(1)
        // A second await site: what each new place a task waits at costs, once.
        let queue = Queue<Int>()
        let other = try spawn { _ = try await queue.get() }
        try await sleep(0)
        let newSiteStart = now()
        guard case .stack? = await loop.stacks(of: [other.id])[other.id] else { fatalError("no stack for the queue waiter") }
        let newSite = now() - newSiteStart
        other.cancel()
        var singles: [Double] = []
        for _ in 0..<min(200, max(0, n - 1) / 2) { singles.append(await ask(1)) }
        singles.sort()
        let rest = n - next
        let all = rest > 0 ? await ask(rest) : 0
        // Asked again: every stack is still current, so none is walked anew.
        let startAgain = now()
        let again = await loop.stacks()
        let againSeconds = now() - startAgain
        precondition(again.count >= n, "every parked task has its stack")
        for task in parked { task.cancel() }
        return Measured(seconds: all, ops: max(rest, 1), extras: [
            "cold_first_ms": cold * 1e3, "new_site_ms": newSite * 1e3,
            "warm_one_us_median": singles.isEmpty ? 0 : singles[singles.count / 2] * 1e6,
            "warm_one_us_p90": singles.isEmpty ? 0 : singles[singles.count * 9 / 10] * 1e6,
            "all_rest_ms": all * 1e3, "all_rest_tasks": Double(rest),
            "all_rest_us_per_task": rest > 0 ? all / Double(rest) * 1e6 : 0,
            "filed_all_ms": againSeconds * 1e3,
        ])
    }
}

func parkedLevel3(_ event: Event) async throws { try await event.wait() }
func parkedLevel2(_ event: Event) async throws { try await parkedLevel3(event) }
func parkedLevel1(_ event: Event) async throws { try await parkedLevel2(event) }

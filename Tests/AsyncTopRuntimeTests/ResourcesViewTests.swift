import AsyncTopModel
import Testing
@testable import AsyncTopRuntime

@Suite struct ResourcesViewTests {
    @Test func snapshotsListLivePrimitivesWithHoldersAndWaiters() async throws {
        try await onLoop {
            let semaphore = try Semaphore(1, name: "crawl-limit")
            let queue = Queue<Int>(maxsize: 10, name: "jobs")
            try queue.putNowait(1)
            let holder = try spawn(name: "holder") { try await semaphore.withPermit { try await sleep(10) } }
            let waiter = try spawn(name: "waiter") { try await semaphore.withPermit {} }
            try await settle()
            let loop = try #require(EventLoop.current)
            let snapshot = loop.snapshot()
            let info = try #require(snapshot.resource(semaphore.id))
            #expect(info.title == "Semaphore crawl-limit")
            #expect(info.holders == [holder.id] && info.waiters == [waiter.id] && info.detail == "0/1 permits")
            #expect(snapshot.resource(queue.id)?.detail == "1 items, maxsize 10, 1 unfinished")
            // Primitives made outside any loop (by tests running in parallel) show in every
            // loop's snapshot and may come and go between the two reads: compare ours only.
            let ours = { (list: [ResourceInfo]) in list.filter { [semaphore.id, queue.id].contains($0.id) } }
            #expect(ours(loop.delta(since: 0).resources) == ours(snapshot.resources))
            #expect(ours(snapshot.resources).count == 2)
            holder.cancel()
            try await waiter.value
        }
    }

    @Test func twoTasksTakingTwoLocksInOppositeOrderAreADeadlock() async throws {
        try await onLoop {
            let a = Lock(name: "A"), b = Lock(name: "B")
            let first = try spawn(name: "first") {
                try await a.withLock { try await sleep(0.002); try await b.withLock {} }
            }
            let second = try spawn(name: "second") {
                try await b.withLock { try await sleep(0.002); try await a.withLock {} }
            }
            // Until each waits on the other's lock (a loaded machine may take a while).
            for _ in 0..<5000 {
                let now = try #require(EventLoop.current).snapshot()
                if now.resource(a.id)?.waiters.isEmpty == false && now.resource(b.id)?.waiters.isEmpty == false { break }
                try await sleep(0.001)
            }
            let snapshot = try #require(EventLoop.current).snapshot()
            #expect(snapshot.resource(a.id)?.holders == [first.id])
            #expect(snapshot.resource(a.id)?.waiters == [second.id])
            let graph = WaitForGraph(snapshot)
            #expect(graph.deadlockedTasks == [[first.id, second.id]])
            #expect(graph.cycles == [[.task(first.id), .resource(b.id), .task(second.id), .resource(a.id)]])
            first.cancel()
            try await second.value
            #expect(!a.locked && !b.locked)
        }
    }
}

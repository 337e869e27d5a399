import AsyncTopModel
import Testing
@testable import AsyncTopRuntime

@Suite struct QueueTests {
    @Test func fifoLifoAndPriorityOrders() async throws {
        let fifo = Queue<Int>()
        let lifo = LifoQueue<Int>()
        let priority = PriorityQueue<Int>()
        for x in [3, 1, 4, 1, 5, 9, 2, 6] {
            try fifo.putNowait(x)
            try lifo.putNowait(x)
            try priority.putNowait(x)
        }
        #expect(try (0..<8).map { _ in try fifo.getNowait() } == [3, 1, 4, 1, 5, 9, 2, 6])
        #expect(try (0..<8).map { _ in try lifo.getNowait() } == [6, 2, 9, 5, 1, 4, 1, 3])
        #expect(try (0..<8).map { _ in try priority.getNowait() } == [1, 1, 2, 3, 4, 5, 6, 9])
    }

    @Test func nowaitErrors() throws {
        let queue = Queue<Int>(maxsize: 1, name: "jobs")
        #expect(throws: QueueEmpty(queue: "Queue jobs")) { _ = try queue.getNowait() }
        try queue.putNowait(1)
        #expect(queue.isFull)
        #expect(throws: QueueFull(queue: "Queue jobs")) { try queue.putNowait(2) }
    }

    @Test func putAndGetDoNotSuspendWhenTheyCan() async throws {
        try await onLoop {
            let queue = Queue<Int>(maxsize: 3)
            let ran = Recorder<Bool>()
            _ = try spawn { ran.add(true) }
            for i in 0..<3 { try await queue.put(i) }
            var got: [Int] = []
            for _ in 0..<3 { got.append(try await queue.get()) }
            #expect(got == [0, 1, 2])
            #expect(ran.items.isEmpty, "no await suspended, so the other task has not run")
        }
    }

    @Test func backPressureSuspendsTheProducerOnAFullQueue() async throws {
        try await onLoop {
            let queue = Queue<Int>(maxsize: 2, name: "jobs")
            let producer = try spawn(name: "producer") { for i in 0..<5 { try await queue.put(i) } }
            try await settle()
            #expect(queue.count == 2)
            #expect(info(producer.id)?.state.description == "suspended on Queue jobs")
            #expect(EventLoop.current?.snapshot().resource(queue.id)?.detail == "2 items, maxsize 2, 2 unfinished")
            var got: [Int] = []
            for _ in 0..<5 {
                got.append(try await queue.get())
                try queue.taskDone()
            }
            try await producer.value
            #expect(got == [0, 1, 2, 3, 4])
            try await queue.join()
            #expect(throws: ToolkitError.taskDoneTooManyTimes("Queue jobs")) { try queue.taskDone() }
        }
    }

    @Test func joinWaitsForTaskDone() async throws {
        let order = try await onLoop { () -> [String] in
            let queue = Queue<String>()
            let order = Recorder<String>()
            try queue.putNowait("a")
            try queue.putNowait("b")
            let joiner = try spawn { try await queue.join(); order.add("joined") }
            let worker = try spawn {
                while let item = try? queue.getNowait() {
                    try await sleep(0.001)
                    order.add(item)
                    try queue.taskDone()
                }
            }
            try await worker.value
            try await joiner.value
            return order.items
        }
        #expect(order == ["a", "b", "joined"])
    }

    @Test func aCancelledGetterLosesNoItem() async throws {
        try await onLoop {
            let queue = Queue<Int>()
            let first = try spawn { try await queue.get() }
            let second = try spawn { try await queue.get() }
            try await settle()
            try await queue.put(7)
            first.cancel()  // woken for the item, then cancelled: the item goes to the next getter
            await #expect(throws: CancellationError.self) { _ = try await first.value }
            #expect(try await second.value == 7)
            #expect(queue.isEmpty)
        }
    }

    @Test func shutdownAsIn313() async throws {
        try await onLoop {
            let queue = Queue<Int>(maxsize: 1, name: "q")
            let getter = try spawn { try await queue.get() }
            try await settle()
            try queue.putNowait(1)
            #expect(try await getter.value == 1)
            try queue.putNowait(2)
            let blockedPutter = try spawn { try await queue.put(3) }
            try await settle()
            queue.shutdown()
            await #expect(throws: QueueShutDown(queue: "Queue q")) { try await blockedPutter.value }
            await #expect(throws: QueueShutDown(queue: "Queue q")) { try await queue.put(4) }
            #expect(try await queue.get() == 2, "items left can still be taken")
            await #expect(throws: QueueShutDown(queue: "Queue q")) { _ = try await queue.get() }

            let other = Queue<Int>()
            try other.putNowait(1)
            try other.putNowait(2)
            let joiner = try spawn { try await other.join() }
            let empty = Queue<Int>()
            let waitingGetter = try spawn { try await empty.get() }
            try await settle()
            other.shutdown(immediate: true)
            empty.shutdown(immediate: true)
            #expect(other.isEmpty)
            await #expect(throws: QueueShutDown.self) { _ = try await waitingGetter.value }
            try await joiner.value
        }
    }
}

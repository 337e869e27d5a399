import AsyncTopRuntime

extension DemoCatalogue {
    static let producerConsumer = Demo(
        name: "producer-consumer",
        summary: "a fast producer and two slow consumers share a bounded queue of 3",
        expected: "20 items consumed, queue never above 3",
        about: """
            A bounded `Queue` of 3 between a fast producer (20 items, as fast as the queue takes them) \
            and two slow consumers (0.05 s an item): the producer blocks on the full queue most of the \
            time. In the dashboard `producer` waits on "queue jobs" while the consumers work.
            """
    ) { _ in
        let jobs = Queue<Int>(maxsize: 3, name: "jobs")
        let producer = try spawn(name: "producer") { () async throws -> Int in
            var highest = 0
            for item in 1...20 {
                try await jobs.put(item)
                highest = max(highest, jobs.count)
            }
            return highest
        }
        let consumers = try (1...2).map { index in
            try spawn(name: "consumer-\(index)") { () async throws -> Int in
                var consumed = 0
                while true {
                    _ = try await jobs.get()
                    try await pause(0.05)
                    consumed += 1
                    try jobs.taskDone()
                }
            }
        }
        let highest = try await producer.value
        try await jobs.join()
        for consumer in consumers { consumer.cancel(message: "queue drained") }
        return "20 items consumed, queue never above \(highest)"
    }
}

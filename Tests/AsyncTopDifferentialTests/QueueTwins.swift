import AsyncTopRuntime

/// The twins of queue_backpressure.py, queue_shutdown.py and priority_lifo_queues.py.
enum QueueTwins {
    static func backpressure(_ log: EventLog) async throws {
        let queue = Queue<Int>(maxsize: 2)
        let producer = try spawn {
            for item in 1...5 {
                try await queue.put(item)
                log("put \(item), size \(queue.count)")
            }
            log("producer done")
        }
        let consumer = try spawn {
            try await ticks(2)
            for _ in 0..<5 {
                let item = try await queue.get()
                log("got \(item)")
                try await ticks(1)
                try queue.taskDone()
            }
        }
        try await ticks(1)
        log("full \(spelling(of: queue.isFull))")
        do {
            try queue.putNowait(99)
        } catch {
            log("put_nowait raised \(spelling(of: error))")
        }
        try await queue.join()
        log("joined, empty \(spelling(of: queue.isEmpty))")
        _ = try await gather(producer, consumer)
        do {
            _ = try queue.getNowait()
        } catch {
            log("get_nowait raised \(spelling(of: error))")
        }
        do {
            try queue.taskDone()
        } catch {
            log("task_done raised \(spelling(of: error))")
        }

        let single = Queue<String>(maxsize: 1)
        try single.putNowait("first")
        var putters: [TaskHandle<Void>] = []
        for name in ["p1", "p2", "p3"] {
            putters.append(try spawn {
                try await single.put(name)
                log("\(name) put")
            })
            try await ticks(1)
        }
        for _ in 0..<4 {
            log("got \(try await single.get())")
            try await ticks(1)
        }
        _ = try await gather(putters)
    }

    static func shutdown(_ log: EventLog) async throws {
        let queue = Queue<Int>(maxsize: 1)
        try queue.putNowait(1)
        var task = try spawn {
            do {
                try await queue.put(2)
                log("putter put 2")
            } catch let error as QueueShutDown {
                log("waiting put raised \(spelling(of: error))")
            }
        }
        try await ticks(1)
        queue.shutdown()
        log("shut down")
        try await task.value
        do {
            try await queue.put(3)
        } catch let error as QueueShutDown {
            log("put raised \(spelling(of: error))")
        }
        log("get gave \(try await queue.get())")
        try queue.taskDone()
        do {
            _ = try await queue.get()
        } catch let error as QueueShutDown {
            log("get of the empty queue raised \(spelling(of: error))")
        }

        let joined = Queue<Int>()
        for item in [1, 2, 3] { try joined.putNowait(item) }
        log("get gave \(try await joined.get())")
        try joined.taskDone()
        task = try spawn {
            try await joined.join()
            log("join returned")
        }
        try await ticks(1)
        joined.shutdown(immediate: true)
        log("shut down at once, size \(joined.count)")
        try await task.value

        let empty = Queue<Int>()
        task = try spawn {
            do {
                _ = try await empty.get()
            } catch let error as QueueShutDown {
                log("waiting get raised \(spelling(of: error))")
            }
        }
        try await ticks(1)
        empty.shutdown(immediate: true)
        log("shut down the empty queue")
        try await task.value
    }

    static func priorityAndLifo(_ log: EventLog) async throws {
        func drain(_ queue: Queue<Int>, _ label: String) throws {
            let items = try (0..<queue.count).map { _ in try queue.getNowait() }
            log("\(label) order \(items)")
        }
        let priority = PriorityQueue<Int>()
        for item in [5, 1, 4, 2, 3] { try priority.putNowait(item) }
        try drain(priority, "priority")

        let lifo = LifoQueue<Int>()
        for item in [1, 2, 3] { try await lifo.put(item) }
        try drain(lifo, "lifo")

        let task = try spawn {
            log("getter waits")
            log("getter got \(try await priority.get())")
        }
        try await ticks(1)
        try priority.putNowait(7)
        try priority.putNowait(6)
        log("put 7 and 6")
        try await task.value
        log("left \(try priority.getNowait())")
    }
}

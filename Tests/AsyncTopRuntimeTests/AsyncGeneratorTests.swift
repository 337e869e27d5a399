import AsyncTopModel
import Synchronization
import Testing
@testable import AsyncTopRuntime

@Suite struct AsyncGeneratorTests {
    @Test func yieldsPowersOfTwoInOrderAndEnds() async throws {
        let values = try await onLoop { () -> [Int] in
            let powers = AsyncGenerator<Int>(name: "powers") { yield in
                var value = 1
                for _ in 0..<8 {
                    try await yield(value)
                    value *= 2
                }
            }
            var seen: [Int] = []
            for try await value in powers { seen.append(value) }
            return seen
        }
        #expect(values == [1, 2, 4, 8, 16, 32, 64, 128])
    }

    @Test func theBodysErrorEndsTheIteration() async throws {
        struct Broken: Error {}
        try await onLoop {
            let failing = AsyncGenerator<Int> { yield in
                try await yield(1)
                throw Broken()
            }
            var seen: [Int] = []
            await #expect(throws: Broken.self) {
                for try await value in failing { seen.append(value) }
            }
            #expect(seen == [1])
        }
    }

    @Test func stoppingEarlyCancelsTheGeneratorsTask() async throws {
        try await onLoop {
            let loop = EventLoop.current!
            let endless = AsyncGenerator<Int>(name: "endless") { yield in
                var n = 0
                while true {
                    try await yield(n)
                    n += 1
                }
            }
            var taken: [Int] = []
            for try await value in endless {
                taken.append(value)
                if taken.count == 3 { break }
            }
            #expect(taken == [0, 1, 2])
            try await sleep(0.001)
            let producer = try #require(loop.snapshot().tasks.first { $0.name == "endless" })
            #expect(producer.state.kind == .cancelled)
            #expect(producer.cancel?.message == "the generator's consumer stopped")
        }
    }
}

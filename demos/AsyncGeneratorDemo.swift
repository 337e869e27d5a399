import AsyncTopModel
import AsyncTopRuntime

extension DemoCatalogue {
    static let asyncGenerator = Demo(
        name: "async-generator",
        summary: "an async generator of powers of two; a consumer that stops early closes its generator",
        expected: "[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]; the consumer that stopped at 64 closed powers-closed (cancelled)",
        about: """
            An async generator (asyncio's `async def` with `yield`): `powers-of-two` yields 1, 2, 4 … \
            1024, one every 0.05 s, and the consumer sums them as they come. A second generator's \
            consumer stops at 64 and drops it: its task is cancelled, as `aclose()` does. In the \
            dashboard the generator's task waits on its queue while the consumer has not taken the last \
            value, and the consumer waits on it in turn.
            """
    ) { loop in
        func powers(_ name: String) -> AsyncGenerator<Int> {
            AsyncGenerator(name: name) { yield in
                var value = 1
                for _ in 0...10 {
                    try await pause(0.05)
                    try await yield(value)
                    value *= 2
                }
            }
        }
        var all: [Int] = []
        for try await value in powers("powers-of-two") {
            all.append(value)
            say("got \(value)")
        }
        // Dropped by `break`: the generator's task is cancelled.
        for try await value in powers("powers-closed") where value >= 64 {
            say("stopping at \(value)")
            break
        }
        var closed: TaskStateKind?
        for _ in 0..<100 {
            closed = loop.snapshot().tasks.last { $0.name == "powers-closed" }?.state.kind
            if closed?.isFinished == true { break }
            try await pause(0.01)
        }
        return "[\(all.map(String.init).joined(separator: ", "))]; the consumer that stopped at 64 closed powers-closed ("
            + (closed.map { "\($0)" } ?? "not found") + ")"
    }
}

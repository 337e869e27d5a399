import AsyncTopModel

/// An async generator on the loop: asyncio's `async def … yield`.
///
/// The body runs as a task of the loop, spawned on the first `next()`, and hands each value
/// to `yield`, which waits while the consumer has not taken the previous one (one value
/// is computed ahead). Both sides' waits show in the dashboard, on a queue named after the
/// generator. An error thrown by the body ends the iteration with that error; when the
/// iterator is dropped before the end, the body is cancelled, as asyncio's `aclose()` does.
public struct AsyncGenerator<Element: Sendable>: AsyncSequence, Sendable {
    /// Hands one value to the consumer.
    public typealias Yield = @Sendable (Element) async throws -> Void

    let name: String?
    let body: @Sendable (Yield) async throws -> Void

    public init(name: String? = nil, _ body: @escaping @Sendable (_ yield: Yield) async throws -> Void) {
        self.name = name
        self.body = body
    }

    public func makeAsyncIterator() -> Iterator { Iterator(name: name, body: body) }

    /// Pulls values from the generator's task.
    public final class Iterator: AsyncIteratorProtocol {
        private let name: String?
        private let body: @Sendable (Yield) async throws -> Void
        private let channel: Queue<Result<Element, any Error>?>
        private var producer: TaskHandle<Void>?
        private var finished = false

        init(name: String?, body: @escaping @Sendable (Yield) async throws -> Void) {
            self.name = name
            self.body = body
            channel = Queue(maxsize: 1, name: name ?? "generator")
        }

        /// The next value, or nil at the end.
        ///
        /// - Throws: the body's error; `LoopError.notOnLoop` outside a loop.
        public func next() async throws -> Element? {
            if finished { return nil }
            if producer == nil {
                let channel = self.channel, body = self.body
                producer = try spawn(name: name ?? "generator") {
                    do {
                        try await body { try await channel.put(.success($0)) }
                        try await channel.put(nil)
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        try? await channel.put(.failure(error))
                    }
                }
            }
            switch try await channel.get() {
            case .success(let value)?:
                return value
            case .failure(let error)?:
                finished = true
                throw error
            case nil:
                finished = true
                return nil
            }
        }

        deinit {
            if !finished { producer?.cancel(message: "the generator's consumer stopped") }
        }
    }
}

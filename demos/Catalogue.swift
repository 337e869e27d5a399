import AsyncTopRuntime

/// A demo workload: a name, what it shows, and the code that runs it on a loop.
public struct Demo: Sendable {
    public let name: String
    public let summary: String
    public let run: @Sendable (EventLoop) async throws -> String

    public init(name: String, summary: String, run: @escaping @Sendable (EventLoop) async throws -> String) {
        self.name = name
        self.summary = summary
        self.run = run
    }
}

/// The demos this build ships.
public enum DemoCatalogue {
    public static let all: [Demo] = [gather, toThread, cancelCascade]

    public static func named(_ name: String) -> Demo? { all.first { $0.name == name } }
}

import AsyncTopModel
import FlyingFox
import FlyingSocks
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `GET /metrics` (the targets in the Prometheus text format) and `GET /` (what is served),
/// over HTTP with FlyingFox; any other request is answered 404.
public final class ExporterServer: Sendable {
    /// Why the server could not start or stopped.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        /// The port was taken.
        public var portInUse: Bool
    }

    public let address: ListenAddress
    public let targets: TargetSet
    public let thresholds: LintThresholds
    private let scrapes = Mutex<UInt64>(0)
    private let server: HTTPServer

    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public init(address: ListenAddress, targets: TargetSet, thresholds: LintThresholds = LintThresholds()) throws {
        self.address = address
        self.targets = targets
        self.thresholds = thresholds
        let socketAddress: any SocketAddress = address.bindsIPv6
            ? try .inet6(ip6: address.bindAddress, port: address.port)
            : try .inet(ip4: address.bindAddress, port: address.port)
        server = HTTPServer(address: socketAddress, timeout: 15, logger: .disabled)
    }

    /// The text of one scrape: rescans the directories first.
    public func scrape() -> String {
        let count = scrapes.withLock { count in
            count += 1
            return count
        }
        targets.refresh()
        return MetricsText.render(targets.readings(), scrapes: count, thresholds: thresholds)
    }

    /// The page at `/`.
    public func indexPage() -> String {
        """
        asynctop exporter: the event loops of asynctop monitor sockets as Prometheus metrics.

        GET /metrics   the metrics, in the Prometheus text format (0.0.4)

        Targets (sockets, and directories of sockets rescanned at each scrape):
        \(targets.arguments.map { "  \($0)" }.joined(separator: "\n"))

        """
    }

    /// Serves until the task is cancelled. `listening` is called once the port is bound, with
    /// the port (the one the system chose, for port 0).
    /// - Throws: ``Failure`` when the port cannot be bound.
    public func run(listening: @escaping @Sendable (UInt16) -> Void = { _ in }) async throws {
        await server.appendRoute("GET /metrics") { [self] _ in
            HTTPResponse(statusCode: .ok, headers: [.contentType: Self.contentType], body: Data(scrape().utf8))
        }
        await server.appendRoute("GET /") { [self] _ in
            HTTPResponse(statusCode: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: Data(indexPage().utf8))
        }
        await server.appendRoute("*") { _ in
            HTTPResponse(statusCode: .notFound, headers: [.contentType: "text/plain; charset=utf-8"], body: Data("not found: try /metrics\n".utf8))
        }
        let server = self.server
        let watcher = Task {
            // The directories are rescanned every second too, so connections are ready by the
            // first scrape after a process appears.
            try await server.waitUntilListening(timeout: 10)
            if case .ip4(_, let port)? = await server.listeningAddress { listening(port) }
            if case .ip6(_, let port)? = await server.listeningAddress { listening(port) }
            while !Task.isCancelled {
                targets.refresh()
                try await Task.sleep(for: .seconds(1))
            }
        }
        defer { watcher.cancel() }
        do {
            try await server.run()
        } catch let error as SocketError {
            if case .failed(_, let code, _) = error, code == EADDRINUSE {
                throw Failure(description: "cannot listen on \(address): port \(address.port) is already in use", portInUse: true)
            }
            throw Failure(description: "cannot listen on \(address): \(error)", portInUse: false)
        }
    }
}

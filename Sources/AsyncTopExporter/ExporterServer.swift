import AsyncTopModel
import FlyingSocks
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `GET /metrics` (the targets in the Prometheus text format) and `GET /` (what is served),
/// over HTTP/1.1; any other request is answered 404.
///
/// The sockets are FlyingFox's FlyingSocks (non-blocking sockets on epoll, async); the HTTP
/// is the few lines below. FlyingFox's own HTTP module imports FoundationNetworking, which
/// would link libcurl and some thirty more libraries into `asynctop` and every program and
/// test bundle that links it, for a server that answers two paths.
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

    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    /// The longest request head read (request line and headers).
    static let maxHeadBytes = 16 * 1024
    /// How long a client may take to send its request.
    static let requestTimeout: Duration = .seconds(10)

    public init(address: ListenAddress, targets: TargetSet, thresholds: LintThresholds = LintThresholds()) {
        self.address = address
        self.targets = targets
        self.thresholds = thresholds
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

    /// The answer to `method path`: status, content type, body.
    public func respond(method: String, target: String) -> (status: Int, contentType: String, body: String) {
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? target
        switch (method, path) {
        case ("GET", "/metrics"): return (200, Self.contentType, scrape())
        case ("GET", "/"): return (200, "text/plain; charset=utf-8", indexPage())
        default: return (404, "text/plain; charset=utf-8", "not found: GET /metrics serves the metrics\n")
        }
    }

    /// Serves until the task is cancelled. `listening` is called once the port is bound, with
    /// the port (the one the system chose, for port 0).
    /// - Throws: ``Failure`` when the port cannot be bound.
    public func run(listening: @escaping @Sendable (UInt16) -> Void = { _ in }) async throws {
        let pool: some AsyncSocketPool = .ePoll(logger: .disabled)
        let socket: Socket
        do {
            try await pool.prepare()
            let socketAddress: any SocketAddress = address.bindsIPv6
                ? try .inet6(ip6: address.bindAddress, port: address.port)
                : try .inet(ip4: address.bindAddress, port: address.port)
            socket = try Socket(domain: Int32(type(of: socketAddress).family))
            try socket.setValue(true, for: .localAddressReuse)
            try socket.bind(to: socketAddress)
            try socket.listen()
        } catch let error as SocketError {
            if case .failed(_, let code, _) = error, code == EADDRINUSE {
                throw Failure(description: "cannot listen on \(address): port \(address.port) is already in use", portInUse: true)
            }
            throw Failure(description: "cannot listen on \(address): \(error)", portInUse: false)
        }
        switch try? socket.sockname() {
        case .ip4(_, let port)?, .ip6(_, let port)?: listening(port)
        default: listening(address.port)
        }
        let listener = try AsyncSocket(socket: socket, pool: pool)
        defer { try? listener.close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            // The directories are rescanned every second too, so connections are ready by the
            // first scrape after a process appears.
            group.addTask { [targets] in
                while true {
                    targets.refresh()
                    try await Task.sleep(for: .seconds(1))
                }
            }
            group.addTask { [self] in
                try await withThrowingDiscardingTaskGroup { connections in
                    for try await client in listener.sockets {
                        connections.addTask { await self.serve(client) }
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Reads one request from `client` (for at most ``requestTimeout``), answers it and closes.
    private func serve(_ client: AsyncSocket) async {
        defer { try? client.close() }
        let head: [UInt8]? = await withTaskGroup(of: [UInt8]?.self) { group in
            group.addTask { try? await Self.readHead(client) }
            group.addTask {
                try? await Task.sleep(for: Self.requestTimeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let head else { return }
        let line = String(decoding: head.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        let answer = line.count == 3 && line[2].hasPrefix("HTTP/")
            ? respond(method: String(line[0]), target: String(line[1]))
            : (status: 400, contentType: "text/plain; charset=utf-8", body: "bad request\n")
        let reason = [200: "OK", 400: "Bad Request", 404: "Not Found"][answer.status] ?? "Error"
        let body = Array(answer.body.utf8)
        let response = "HTTP/1.1 \(answer.status) \(reason)\r\nContent-Type: \(answer.contentType)\r\n"
            + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        try? await client.write(Data(Array(response.utf8) + body))
    }

    /// The request line and headers, up to the blank line; nil when the client stops first
    /// or sends more than ``maxHeadBytes``.
    static func readHead(_ client: AsyncSocket) async throws -> [UInt8]? {
        var head: [UInt8] = []
        while head.count < maxHeadBytes {
            head += try await client.read(atMost: 4096)
            if let end = head.firstRange(of: [13, 10, 13, 10]) ?? head.firstRange(of: [10, 10]) { return Array(head[..<end.lowerBound]) }
        }
        return nil
    }
}

import AsyncTopModel
import Foundation
import Synchronization

/// The state of a monitored process as an attached client sees it: the last snapshot,
/// kept through disconnections, and a thread that reconnects when the socket returns.
public final class RemoteLoop: Sendable {
    /// Where the connection stands.
    public enum Status: Equatable, Sendable {
        case connecting
        case connected(pid: Int32, program: String)
        case disconnected(reason: String)
    }

    struct State {
        var snapshot = Snapshot()
        var hello: ServerMessage.Hello?
        var status = Status.connecting
        var dropped: UInt64 = 0
        var connection: MonitorConnection?
        var stopped = false
        var lastReply: String?
    }

    /// The socket's path.
    public let path: String
    private let state = Mutex(State())
    private let onMessage: (@Sendable (ServerMessage) -> Void)?

    /// Starts connecting to `path` on a thread of its own.
    /// - Parameter onMessage: sees every message received (a recorder's hook).
    public init(path: String, onMessage: (@Sendable (ServerMessage) -> Void)? = nil) {
        self.path = path
        self.onMessage = onMessage
        let thread = Thread { [self] in run() }
        thread.name = "asynctop-attach"
        thread.start()
    }

    /// The last snapshot received, kept when the process goes away.
    public var snapshot: Snapshot { state.withLock { $0.snapshot } }
    public var status: Status { state.withLock { $0.status } }
    /// Updates the server did not send us because we read too slowly.
    public var dropped: UInt64 { state.withLock { $0.dropped } }
    public var hello: ServerMessage.Hello? { state.withLock { $0.hello } }
    /// The last reply or error the server sent, as text.
    public var lastReply: String? { state.withLock { $0.lastReply } }

    /// Sends a command if connected.
    public func send(_ message: ClientMessage) {
        state.withLock { $0.connection }?.send(message)
    }

    /// Stops reconnecting and closes the connection.
    public func stop() {
        state.withLock { state in
            state.stopped = true
        }
    }

    private func run() {
        while !state.withLock({ $0.stopped }) {
            do {
                let connection = try MonitorConnection(path: path)
                state.withLock { $0.connection = connection }
                defer {
                    state.withLock { $0.connection = nil }
                    connection.close()
                }
                while !state.withLock({ $0.stopped }) {
                    guard let message = try connection.next(timeout: 0.2) else { continue }
                    if case .hello(let hello) = message, hello.protocol != WireProtocol.version {
                        throw MonitorConnection.Failure(description: "protocol version \(hello.protocol), this asynctop speaks \(WireProtocol.version)")
                    }
                    onMessage?(message)
                    state.withLock { state in
                        switch message {
                        case .hello(let hello):
                            state.hello = hello
                            state.status = .connected(pid: hello.pid, program: hello.program)
                            // A new process: start from its own picture.
                            state.snapshot = Snapshot(epoch: hello.epoch, loopName: hello.loopName)
                        case .delta(let update):
                            state.snapshot = state.snapshot.applying(update.delta)
                            state.dropped = update.dropped
                        case .reply(_, let result): state.lastReply = result
                        case .error(_, let code, let message): state.lastReply = "\(code): \(message)"
                        }
                    }
                }
            } catch {
                state.withLock { state in
                    let reason = "\(error)"
                    state.status = .disconnected(reason: reason)
                }
                Thread.sleep(forTimeInterval: 0.3)
            }
        }
    }
}

import AsyncTopModel
import CAsyncTopSupport
import Foundation
import Synchronization

/// The state of a monitored process as an attached client sees it: the last snapshot,
/// kept through disconnections, and a thread that reconnects when the socket returns.
public final class RemoteLoop: Sendable {
    /// Where the connection stands.
    public enum Status: Equatable, Sendable {
        /// No attempt has finished yet.
        case connecting
        /// Never connected so far; the last attempt failed for `reason` ("/x.sock: no such
        /// file"). Attempts go on.
        case retrying(reason: String)
        case connected(pid: Int32, program: String)
        /// The connection was lost (or refused) for `reason`; attempts go on.
        case disconnected(reason: String)
    }

    /// What became of a request sent with ``request(_:timeout:answer:)``.
    public enum Answer: Equatable, Sendable {
        /// The server's `reply`, with its `result`.
        case reply(String)
        /// The server's `stacks` reply.
        case stacks([StackReply])
        /// The server's `error`, with its code and message.
        case error(code: String, message: String)
        /// Not connected: nothing was sent.
        case notConnected
        /// Sent, and no answer came before the time-out or the connection ended.
        case noAnswer
    }

    struct Pending {
        var deadline: UInt64
        var answer: @Sendable (Answer) -> Void
    }

    struct State {
        /// Every loop the process serves on the socket, as received.
        var loops = LoopSet()
        /// The picture of the loops shown (``loop``, or all), made when asked for after a change.
        var shown: Snapshot?
        var hello: ServerMessage.Hello?
        var status = Status.connecting
        var dropped: UInt64 = 0
        var connection: MonitorConnection?
        var stopped = false
        var lastReply: String?
        var nextRequestID = 1
        var pending: [Int: Pending] = [:]
    }

    /// The socket's path.
    public let path: String
    /// The one loop to show, by name; nil: every loop the process serves on the socket.
    public let loop: String?
    private let state = Mutex(State())
    private let onMessage: (@Sendable (ServerMessage) -> Void)?

    /// Starts connecting to `path` on a thread of its own.
    /// - Parameter loop: show only the loop of this name (``snapshot`` is empty while the
    ///   process has none); nil: every loop, as one picture (``Snapshot/merging(_:)``).
    /// - Parameter onMessage: sees every message received (a recorder's hook).
    public init(path: String, loop: String? = nil, onMessage: (@Sendable (ServerMessage) -> Void)? = nil) {
        self.path = path
        self.loop = loop
        self.onMessage = onMessage
        let thread = Thread { [self] in run() }
        thread.name = "asynctop-attach"
        thread.start()
    }

    /// The last picture received (of ``loop``, or of every loop), kept when the process goes away.
    public var snapshot: Snapshot {
        state.withLock { state in
            if let shown = state.shown { return shown }
            let shown = loop.map { name in
                state.loops.snapshots.first { $0.loopName == name } ?? Snapshot(epoch: state.hello?.epoch ?? 0, loopName: name)
            } ?? state.loops.merged
            state.shown = shown
            return shown
        }
    }

    /// Each loop's last picture, in the order they joined (``loop`` only, when set).
    public var loopSnapshots: [Snapshot] {
        state.withLock { state in state.loops.snapshots.filter { loop == nil || $0.loopName == loop } }
    }

    /// The names of the loops the process serves on the socket, in the order they joined.
    public var loopNames: [String] { state.withLock { $0.loops.snapshots.map(\.loopName) } }
    public var status: Status { state.withLock { $0.status } }
    /// Updates the server did not send us because we read too slowly.
    public var dropped: UInt64 { state.withLock { $0.dropped } }
    public var hello: ServerMessage.Hello? { state.withLock { $0.hello } }
    /// The last reply or error the server sent, as text.
    public var lastReply: String? { state.withLock { $0.lastReply } }

    /// Sends a command if connected, without waiting for its answer.
    public func send(_ message: ClientMessage) {
        state.withLock { $0.connection }?.send(message)
    }

    /// Sends the message `make` builds with a request id of ours, and calls `answer` once
    /// (on the connection's thread, or this one when not connected) with the server's
    /// reply or error for that id, or `.noAnswer` after `timeout` seconds or when the
    /// connection ends first.
    public func request(_ make: (Int) -> ClientMessage, timeout: Double = 2,
                        answer: @escaping @Sendable (Answer) -> Void) {
        let deadline = asynctopNow() + UInt64(max(timeout, 0) * 1e9)
        let sending: (MonitorConnection, Int)? = state.withLock { state in
            guard let connection = state.connection, state.hello != nil else { return nil }
            let id = state.nextRequestID
            state.nextRequestID += 1
            state.pending[id] = Pending(deadline: deadline, answer: answer)
            return (connection, id)
        }
        guard let (connection, id) = sending else { return answer(.notConnected) }
        if !connection.send(make(id)) {
            // The connection went away before the line left: no answer will come.
            if let pending = state.withLock({ $0.pending.removeValue(forKey: id) }) { pending.answer(.noAnswer) }
        }
    }

    /// Asks the server to cancel `task` and answers with what became of it.
    public func cancel(task: TaskID, message: String?, timeout: Double = 2,
                       answer: @escaping @Sendable (CancelAnswer) -> Void) {
        request({ .cancel(id: $0, task: task, message: message) }, timeout: timeout) { reply in
            answer(Self.cancelAnswer(reply))
        }
    }

    /// The cancel answer a server's reply means (see docs/PROTOCOL.md).
    public static func cancelAnswer(_ reply: Answer) -> CancelAnswer {
        switch reply {
        case .reply("requested"): .requested
        case .reply("queued"): .queued
        case .error("not-found", _): .notFound
        case .error("already-finished", _): .alreadyFinished
        case .error("not-cancellable", _): .notCancellable
        case .notConnected: .notConnected
        case .reply, .error, .noAnswer, .stacks: .noAnswer
        }
    }

    /// Asks the server for the async stacks of `tasks` (every suspended task when nil); they
    /// also come in later deltas as `TaskInfo.stack`. `answer` gets the reply, an error
    /// (`loop-busy` when the loop did not answer in time), or `.notConnected`/`.noAnswer`.
    public func requestStacks(of tasks: [TaskID]?, timeout: Double = 70,
                              answer: @escaping @Sendable (Answer) -> Void = { _ in }) {
        request({ .stacks(id: $0, tasks: tasks) }, timeout: timeout, answer: answer)
    }

    /// Stops reconnecting and closes the connection.
    public func stop() {
        state.withLock { state in
            state.stopped = true
        }
    }

    /// Calls the answers whose time is up (all of them with `everything`) with `.noAnswer`.
    private func expire(everything: Bool) {
        let now = asynctopNow()
        let expired: [Pending] = state.withLock { state in
            let ids = state.pending.filter { everything || $0.value.deadline <= now }.map(\.key)
            return ids.compactMap { state.pending.removeValue(forKey: $0) }
        }
        for pending in expired { pending.answer(.noAnswer) }
    }

    private func run() {
        while !state.withLock({ $0.stopped }) {
            do {
                let connection = try MonitorConnection(path: path, loops: true)
                state.withLock { $0.connection = connection }
                defer {
                    state.withLock { state in
                        state.connection = nil
                        state.hello = nil
                    }
                    connection.close()
                    expire(everything: true)
                }
                while !state.withLock({ $0.stopped }) {
                    expire(everything: false)
                    guard let message = try connection.next(timeout: 0.2) else { continue }
                    if case .hello(let hello) = message, !WireProtocol.readableVersions.contains(hello.protocol) {
                        throw MonitorConnection.Failure(description: WireProtocol.versionProblem(path, hello.protocol))
                    }
                    if case .error(nil, let code, let text) = message, state.withLock({ $0.hello == nil }) {
                        // Refused before the hello (busy, forbidden): say so and retry.
                        throw MonitorConnection.Failure(description: "\(path): the server refused: \(code): \(text)")
                    }
                    onMessage?(message)
                    var answered: (Pending, Answer)?
                    state.withLock { state in
                        switch message {
                        case .hello(let hello):
                            state.hello = hello
                            state.status = .connected(pid: hello.pid, program: hello.program)
                            // A new process: start from its own picture.
                            state.loops = LoopSet(hello: hello)
                            state.shown = nil
                        case .loop(let entry):
                            state.loops.apply(entry)
                            state.shown = nil
                        case .delta(let update):
                            state.loops.apply(update)
                            state.shown = nil
                            state.dropped = update.dropped
                        case .reply(let id, let result):
                            state.lastReply = result
                            if let id, let pending = state.pending.removeValue(forKey: id) { answered = (pending, .reply(result)) }
                        case .stacks(let id, let stacks):
                            state.lastReply = "stacks"
                            if let id, let pending = state.pending.removeValue(forKey: id) { answered = (pending, .stacks(stacks)) }
                        case .error(let id, let code, let text):
                            state.lastReply = "\(code): \(text)"
                            if let id, let pending = state.pending.removeValue(forKey: id) {
                                answered = (pending, .error(code: code, message: text))
                            }
                        }
                    }
                    if let (pending, answer) = answered { pending.answer(answer) }
                }
            } catch {
                state.withLock { state in
                    let reason = "\(error)"
                    if case .connected = state.status {
                        state.status = .disconnected(reason: reason)
                    } else if case .disconnected = state.status {
                        state.status = .disconnected(reason: reason)
                    } else {
                        state.status = .retrying(reason: reason)
                    }
                }
                Thread.sleep(forTimeInterval: 0.3)
            }
        }
        expire(everything: true)
    }
}

private func asynctopNow() -> UInt64 { asynctop_monotonic_ns() }

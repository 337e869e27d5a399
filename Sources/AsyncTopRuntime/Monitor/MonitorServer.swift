import AsyncTopModel
import CAsyncTopSupport
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Serves a process's loops (or another ``MonitorSource``) on a Unix domain socket: a
/// hello, then snapshot deltas to every client, and their commands (cancel, pause, resume,
/// launch, stacks, ping). See docs/PROTOCOL.md.
///
/// It starts with one loop, the hello's; ``serve(_:)`` adds more, which clients that ask
/// for every loop see beside it. The socket stays while one of its loops is open (the global
/// executor, once ``GlobalExecutorMonitor`` put it there, is open for the process's life).
///
/// Each loop is only asked for a delta once per interval while clients are connected, on
/// a thread of the server's own; a client that reads slowly gets fewer, coalesced updates
/// (the ones it missed are counted) and never holds up the loops or the other clients.
public final class MonitorServer: Sendable {
    /// The socket's path.
    public let path: String
    /// The hello's loop (loop 0).
    let loop: any MonitorSource
    let configuration: MonitorConfiguration
    let listener: Int32
    let hello: ServerMessage.Hello
    let recorder: Recorder?

    /// A loop served, with its number on every connection. Loop 0 is held as the server
    /// was given it; the loops added later weakly: a loop nobody else holds goes away (and
    /// closes) as it would without a monitor, and leaves the socket then.
    struct Served {
        private let held: (any MonitorSource)?
        private weak let joined: (any MonitorSource)?
        let entry: ServerMessage.LoopEntry

        init(first source: any MonitorSource, entry: ServerMessage.LoopEntry) {
            (held, joined, self.entry) = (source, nil, entry)
        }

        init(joined source: any MonitorSource, entry: ServerMessage.LoopEntry) {
            (held, joined, self.entry) = (nil, source, entry)
        }

        /// The loop; nil once it is gone.
        var source: (any MonitorSource)? { held ?? joined }
        /// Closed, or gone.
        var isClosed: Bool { source?.isClosed ?? true }
    }

    struct State {
        var peers: [MonitorPeer] = []
        /// The loops served now, loop 0 first while it is open.
        var loops: [Served] = []
        var nextLoopID = 1
        var stopping = false
        var droppedTotal: UInt64 = 0
        /// A client said hello since the last tick: the next tick is now, so that its first
        /// picture does not wait for the interval.
        var newcomer = false
    }

    let state = Mutex(State())
    let wake = DispatchSemaphore(value: 0)
    let threadsDone = DispatchSemaphore(value: 0)

    /// Starts serving `loop`.
    /// - Throws: ``MonitorError`` when the socket cannot be made.
    public convenience init(loop: EventLoop, configuration: MonitorConfiguration) throws {
        try self.init(source: loop, configuration: configuration)
    }

    /// Starts serving `source`.
    package init(source loop: any MonitorSource, configuration: MonitorConfiguration) throws {
        let path = try configuration.path ?? {
            let program = (CommandLine.arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "program")
            return try MonitorConfiguration.privateDirectory() + "/\(program)-\(getpid()).sock"
        }()
        self.path = path
        self.loop = loop
        self.configuration = configuration
        self.listener = try Self.listen(at: path)
        self.recorder = try configuration.recordPath.map { try Recorder(path: $0) }
        self.hello = ServerMessage.Hello(
            pid: getpid(), program: CommandLine.arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "program",
            loopName: loop.name, epoch: loop.epoch, interval: configuration.interval,
            demos: configuration.launch == nil ? [] : configuration.demos)
        recorder?.record(.hello(hello))
        let first = Served(first: loop, entry: .init(id: 0, name: loop.name, epoch: loop.epoch))
        state.withLock { $0.loops = [first] }
        let acceptor = Thread { [self] in acceptLoop() }
        acceptor.name = "asynctop-monitor-accept"
        acceptor.start()
        let publisher = Thread { [self] in publishLoop() }
        publisher.name = "asynctop-monitor"
        publisher.start()
    }

    /// Serves `loop` too, beside the loops served already: clients that read every loop
    /// (asynctop's do) see it from their next update; its commands reach it. Serving a loop
    /// twice, or after ``stop()``, does nothing. It leaves the socket when it closes.
    public func serve(_ loop: EventLoop) { add(source: loop) }

    /// Serves `source` too (see ``serve(_:)``).
    package func add(source: any MonitorSource) {
        state.withLock { state in
            guard !state.stopping, !source.isClosed, !state.loops.contains(where: { $0.source === source }),
                  // Once the last loop closed, the socket is going away.
                  !state.loops.allSatisfy(\.isClosed) else { return }
            // Names tell loops apart on screen and in `--loop`: a repeated one gets a number.
            var name = source.name
            var n = 2
            while state.loops.contains(where: { $0.entry.name == name }) {
                name = "\(source.name)-\(n)"
                n += 1
            }
            let served = Served(joined: source, entry: .init(id: state.nextLoopID, name: name, epoch: source.epoch))
            state.nextLoopID += 1
            state.loops.append(served)
            // Announced, under the lock, to every client already introduced: a client
            // introduced later hears of it in its introduction; either way before its deltas.
            let line = WireCodec.line(ServerMessage.loop(served.entry))
            for peer in state.peers where peer.state.withLock({ $0.introduced && $0.everyLoop }) { peer.enqueue(line) }
            recorder?.record(.loop(served.entry))
            state.newcomer = true
        }
        wake.signal()
    }

    /// The loops served now, by name.
    public var loopNames: [String] { state.withLock { $0.loops.map(\.entry.name) } }

    /// Clients connected now.
    public var clientCount: Int { state.withLock { $0.peers.count } }

    /// Updates not sent to slow clients so far (coalesced into later full deltas).
    public var droppedUpdates: UInt64 {
        state.withLock { state in state.droppedTotal + state.peers.reduce(0) { $0 + $1.state.withLock { $0.dropped } } }
    }

    /// Stops serving: disconnects every client, removes the socket file, closes a recording.
    public func stop() {
        let peers: [MonitorPeer] = state.withLock { state in
            if state.stopping { return [] }
            state.stopping = true
            return state.peers
        }
        for peer in peers { peer.shutDown() }
        wake.signal()
        _ = threadsDone.wait(timeout: .now() + 2)
        _ = threadsDone.wait(timeout: .now() + 2)
        recorder?.close()
    }

    // MARK: Socket

    /// Binds a listening socket at `path`, replacing a stale socket file of a dead process.
    static func listen(at path: String) throws -> Int32 {
        let directory = (path as NSString).deletingLastPathComponent
        var info = stat()
        if !directory.isEmpty && (stat(directory, &info) != 0 || info.st_mode & S_IFMT != S_IFDIR) {
            throw MonitorError.directoryMissing(path: path)
        }
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFSOCK else { throw MonitorError.notASocket(path: path) }
            let probe = asynctop_unix_connect(path)
            if probe >= 0 {
                Glibc.close(probe)
                throw MonitorError.inUse(path: path)
            }
            // Nobody listens: the socket file of a process that is gone.
            unlink(path)
        }
        let fd = asynctop_unix_listen(path, 16)
        guard fd >= 0 else { throw MonitorError.cannotCreate(path: path, errno: -fd) }
        chmod(path, 0o600)
        SocketCleanup.remember(path)
        return fd
    }

    private func acceptLoop() {
        defer {
            SocketCleanup.forget(path)
            Glibc.close(listener)
            unlink(path)
            threadsDone.signal()
        }
        // Closed loops have nothing more to serve: the socket goes with the last.
        while !state.withLock({ $0.stopping }) && !allClosed {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let fd = asynctop_accept(listener)
            guard fd >= 0 else { continue }
            var uid: UInt32 = 0, pid: Int32 = 0
            guard asynctop_peer_credentials(fd, &uid, &pid) == 0, uid == getuid() else {
                let refusal = WireCodec.line(ServerMessage.error(id: nil, code: "forbidden", message: "peer of another user"))
                _ = refusal.withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
                Glibc.close(fd)
                continue
            }
            let peer = MonitorPeer(fd: fd, pid: pid)
            let accepted = state.withLock { state -> Bool? in
                if state.stopping { return nil }
                if state.peers.count >= configuration.maxClients { return false }
                return true
            }
            guard let accepted else { Glibc.close(fd); break }
            guard accepted else {
                // Refused before anything else is said: a busy server sends no hello.
                let busy = WireCodec.line(ServerMessage.error(id: nil, code: "busy", message: "\(configuration.maxClients) clients already"))
                _ = busy.withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
                Glibc.close(fd)
                continue
            }
            // The hello goes first, before the publisher can see the peer (only this thread
            // adds peers, so the count checked above still holds).
            peer.enqueue(WireCodec.line(ServerMessage.hello(hello)))
            state.withLock { $0.peers.append(peer) }
            let reader = Thread { [self] in readLoop(peer) }
            reader.name = "asynctop-monitor-client"
            reader.start()
            wake.signal()
        }
    }

    // MARK: Publishing

    /// True until ``stop()``, or until every loop served has closed.
    var isServing: Bool { !state.withLock({ $0.stopping }) && !allClosed }

    /// True once every loop served has closed.
    var allClosed: Bool {
        state.withLock { $0.loops.allSatisfy(\.isClosed) }
    }

    /// What the publisher holds of one loop: the picture every up-to-date client holds.
    private struct Published {
        var current: Snapshot
    }

    /// What a client that reads loop 0 alone is told once that loop has closed.
    static func loopGone(_ name: String) -> ServerMessage {
        .error(id: nil, code: "loop-closed",
               message: "loop \(name) has closed; this process serves other loops: say \"loops\":true in the hello to read them")
    }

    /// Takes the loops that closed off the list, and tells the clients that read every
    /// loop; the loop 0 of a client that reads it alone just stops changing.
    private func retireClosedLoops() -> [Served] {
        state.withLock { state in
            let closed = state.loops.filter(\.isClosed)
            guard !closed.isEmpty, closed.count < state.loops.count else { return [] }
            // By id: a loop that closes meanwhile is retired (and announced) next time.
            let ids = Set(closed.map(\.entry.id))
            state.loops.removeAll { ids.contains($0.entry.id) }
            for served in closed {
                var entry = served.entry
                entry.closed = true
                let line = WireCodec.line(ServerMessage.loop(entry))
                for peer in state.peers {
                    peer.forget(loop: entry.id)
                    let (introduced, everyLoop) = peer.state.withLock { ($0.introduced, $0.everyLoop) }
                    if introduced && everyLoop {
                        peer.enqueue(line)
                    } else if introduced && entry.id == 0 {
                        // A client of loop 0 alone has nothing more coming: it is told, and let go.
                        peer.enqueue(WireCodec.line(Self.loopGone(entry.name)))
                        peer.shutDown()
                    }
                }
                recorder?.record(.loop(entry))
            }
            return closed
        }
    }

    private func publishLoop() {
        defer { threadsDone.signal() }
        var published: [Int: Published] = [:]
        let interval = configuration.interval
        var nextTick = ContinuousClock.now
        while true {
            let stopping = state.withLock { $0.stopping }
            if stopping || allClosed { break }
            for served in retireClosedLoops() { published[served.entry.id] = nil }
            let (peers, loops) = state.withLock { ($0.peers, $0.loops) }
            // Paused clients cost the loops nothing: they are asked only for someone who listens.
            let listening = recorder != nil || peers.contains { peer in peer.state.withLock { !$0.paused && !$0.closed && $0.introduced } }
            let newcomer = state.withLock { state in
                defer { state.newcomer = false }
                return state.newcomer
            }
            if (ContinuousClock.now >= nextTick || newcomer) && listening {
                nextTick = ContinuousClock.now + .milliseconds(Int(interval * 1000))
                publish(loops, &published, to: peers)
            }
            let pending = peers.filter(\.hasUnsent)
            let remaining: Duration = nextTick - ContinuousClock.now
            let remainingMs = remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000
            let waitMs = Int32(clamping: min(max(remainingMs, 0), Int64(interval * 1000)))
            if pending.isEmpty {
                _ = self.wake.wait(timeout: .now() + .milliseconds(Int(max(waitMs, 1))))
            } else {
                var fds = pending.map { pollfd(fd: $0.fd, events: Int16(POLLOUT), revents: 0) }
                _ = poll(&fds, nfds_t(fds.count), max(waitMs, 1))
                for peer in pending { peer.flush() }
            }
        }
        for peer in state.withLock({ $0.peers }) { peer.shutDown() }
        // The stream ended with the loops (or stop()): a recording is complete.
        if allClosed { recorder?.close() }
    }

    /// One tick: a delta of each loop, then to each client what it needs of them, in one
    /// write. Encoded outside every lock: once per loop for all the clients up to date, once
    /// more for each one that holds something else.
    private func publish(_ loops: [Served], _ published: inout [Int: Published], to peers: [MonitorPeer]) {
        var deltas: [(loop: Int, delta: SnapshotDelta)] = []
        var previous: [Int: Snapshot] = [:]
        for served in loops {
            guard let source = served.source else { continue }  // gone: retired at the next tick
            let id = served.entry.id
            var held = published[id] ?? Published(current: Snapshot(epoch: served.entry.epoch, loopName: served.entry.name))
            // A recording keeps where long-suspended tasks waited (filed for a later frame).
            if recorder != nil { source.sampleStacks() }
            // The loop's shared picture: one request to the loop per interval for every
            // watcher in the process (this server, a dashboard, a recording, a tracer).
            let (delta, current) = source.published(after: held.current, maxAge: configuration.interval * 0.9, timeout: 0.25)
            previous[id] = held.current
            held.current = current
            published[id] = held
            deltas.append((id, delta))
            recorder?.record(.delta(.init(dropped: 0, delta: delta, loop: id)))
        }
        var shared: [Int: [UInt8]] = [:]
        for peer in peers {
            guard let ticket = peer.plan(for: deltas), !ticket.plans.isEmpty else { continue }
            var bytes: [UInt8] = []
            var holding: [(loop: Int, snapshot: Snapshot)] = []
            for (loop, plan) in ticket.plans {
                guard let current = published[loop]?.current, let delta = deltas.first(where: { $0.loop == loop })?.delta else { continue }
                switch plan {
                case .shared:
                    if shared[loop] == nil { shared[loop] = DeltaCodec.encode(delta, base: previous[loop]) }
                    bytes += Self.frame(dropped: ticket.dropped, loop: loop, payload: shared[loop]!)
                case .own(let base):
                    let own = base.map { SnapshotDelta.between($0, current) } ?? .full(current)
                    bytes += Self.frame(dropped: ticket.dropped, loop: loop, payload: DeltaCodec.encode(own, base: base))
                }
                holding.append((loop, current))
            }
            peer.deliver(bytes, holding: holding)
        }
    }

    /// A binary delta on the wire: `{"type":"delta","dropped":N,"bytes":L}` (with
    /// `"loop":K` but for loop 0), a newline, and the L bytes of ``DeltaCodec``.
    static func frame(dropped: UInt64, loop: Int = 0, payload: [UInt8]) -> [UInt8] {
        let loopKey = loop == 0 ? "" : #","loop":\#(loop)"#
        var bytes = Array(#"{"type":"delta","dropped":\#(dropped),"bytes":\#(payload.count)\#(loopKey)}"#.utf8)
        bytes.reserveCapacity(bytes.count + 1 + payload.count)
        bytes.append(0x0A)
        bytes += payload
        return bytes
    }

    // MARK: Commands

    private func readLoop(_ peer: MonitorPeer) {
        var lines = LineBuffer(limit: WireProtocol.maxClientLineBytes)
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        reading: while true {
            let n = buffer.withUnsafeMutableBytes { recv(peer.fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            lines.append(buffer[0..<n])
            while let line = lines.next() {
                switch line {
                case .tooLong(let count):
                    peer.enqueue(WireCodec.line(ServerMessage.error(
                        id: nil, code: "too-long", message: "line of \(count)+ bytes exceeds the limit of \(WireProtocol.maxClientLineBytes)")))
                case .line(let bytes):
                    if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                    switch WireCodec.decodeClient(bytes) {
                    case .failure(let error):
                        peer.enqueue(WireCodec.line(ServerMessage.error(id: WireCodec.requestID(in: bytes), code: error.code, message: error.message)))
                    case .success(let message):
                        let answer = handle(message, from: peer)
                        peer.enqueue(WireCodec.line(answer))
                        // Deltas start once the answer to the hello is queued: it comes first.
                        if case .hello(_, _, let everyLoop) = message, case .reply = answer {
                            introduce(peer, everyLoop: everyLoop)
                        }
                    }
                }
                if peer.state.withLock({ $0.closed }) { break reading }
            }
        }
        state.withLock { state in
            state.peers.removeAll { $0 === peer }
            state.droppedTotal += peer.state.withLock { $0.dropped }
        }
        peer.close()
    }

    /// Marks a client introduced: one that reads every loop first hears of each (loop 0
    /// too, closed if it has), all under the lock ``add(source:)`` announces new loops
    /// under, so that it hears of every loop once and before the loop's first delta.
    private func introduce(_ peer: MonitorPeer, everyLoop: Bool) {
        state.withLock { state in
            if !everyLoop && state.loops.first?.entry.id != 0 {
                // Its loop has closed and others serve on: nothing would ever come.
                peer.enqueue(WireCodec.line(Self.loopGone(loop.name)))
                peer.shutDown()
                return
            }
            if everyLoop {
                var lines: [UInt8] = []
                if state.loops.first?.entry.id != 0 {
                    lines += WireCodec.line(ServerMessage.loop(.init(id: 0, name: loop.name, epoch: loop.epoch, closed: true)))
                }
                for served in state.loops { lines += WireCodec.line(ServerMessage.loop(served.entry)) }
                peer.enqueue(lines)
            }
            peer.state.withLock { peer in
                peer.introduced = true
                peer.everyLoop = everyLoop
            }
            state.newcomer = true
        }
        wake.signal()
    }

    /// The loops served now.
    private var servedLoops: [Served] { state.withLock { $0.loops } }

    /// How long a `stacks` request waits for the loop to walk the stacks, and then for the
    /// symbolication of new addresses.
    static let stacksTimeout = 5.0
    static let symbolsTimeout = 60.0

    /// Of two loops' answers for one task, the one of the loop that has it: a stack, else
    /// why it has none, else "no such task".
    static func better(_ a: StackAnswer, _ b: StackAnswer) -> StackAnswer {
        func rank(_ answer: StackAnswer) -> Int {
            switch answer {
            case .stack: 2
            case .unavailable(let why): why == StackAnswer.noSuchTask ? 0 : 1
            }
        }
        return rank(b) > rank(a) ? b : a
    }

    func handle(_ message: ClientMessage, from peer: MonitorPeer) -> ServerMessage {
        // A ping is answered whoever asks; anything else waits for the client's hello.
        let needsHello = switch message { case .hello, .ping: false; default: true }
        if needsHello && !peer.state.withLock({ $0.introduced }) {
            return .error(id: message.id, code: "upgrade",
                          message: "this server speaks monitor protocol \(WireProtocol.version): a client says "
                            + #"{"type":"hello","protocol":\#(WireProtocol.version)} first; please upgrade a client of protocol 1"#)
        }
        switch message {
        case .hello(let id, let version, _):
            guard version == WireProtocol.version else {
                return .error(id: id, code: "unsupported-version",
                              message: "this server speaks monitor protocol \(WireProtocol.version), not \(version)"
                                + (version < WireProtocol.version ? ": please upgrade the client" : ""))
            }
            return .reply(id: id, result: "hello")
        case .ping(let id):
            return .reply(id: id, result: "pong")
        case .pause(let id):
            peer.state.withLock { $0.paused = true }
            return .reply(id: id, result: "paused")
        case .resume(let id):
            peer.state.withLock { $0.paused = false }
            wake.signal()
            return .reply(id: id, result: "resumed")
        case .cancel(let id, let task, let text):
            // Task ids are unique in a process: the loop that knows the task answers. A loop
            // that did not answer in time (stuck, or between two runs) queues the request,
            // which is the answer only when no other loop knew the task.
            var answer = CancelAnswer.notFound
            for served in servedLoops {
                guard let source = served.source else { continue }
                switch source.cancel(task: task, message: text, requester: .dashboard, timeout: 0.25) {
                case .notFound: continue
                case .queued: answer = .queued
                case let definite:
                    answer = definite
                }
                if answer != .queued { break }
            }
            switch answer {
            case .requested: return .reply(id: id, result: "requested")
            case .queued: return .reply(id: id, result: "queued")
            case .notFound: return .error(id: id, code: "not-found", message: "no task \(task)")
            case .alreadyFinished: return .error(id: id, code: "already-finished", message: "task \(task) has already finished")
            case .notCancellable:
                return .error(id: id, code: "not-cancellable", message: "task \(task) is a native child: cancel its parent")
            case .notConnected, .unsupported, .noAnswer:
                // Answers of a client's own, never of a loop.
                return .error(id: id, code: "internal", message: "unexpected answer for task \(task)")
            }
        case .stacks(let id, let tasks):
            // Every loop walks its own tasks, at once; a task's answer is its loop's. A loop
            // that does not walk in time (a long step, or between two runs) leaves its tasks
            // unanswered, and says so; only when no loop walked is the request an error.
            let loops = servedLoops.compactMap { served in served.source.map { (served.entry.name, $0) } }
            let walks = loops.map { _ in DispatchSemaphore(value: 0) }
            let answers = loops.map { _ in LoopReply<[TaskID: StackAnswer]>() }
            for ((_, source), (walk, reply)) in zip(loops, zip(walks, answers)) {
                source.captureStacks(of: tasks, minimumAge: 0, limit: .max, completion: { reply.fill($0) }, walked: { walk.signal() })
            }
            let deadline = DispatchTime.now() + Self.stacksTimeout
            let answered = walks.map { $0.wait(timeout: deadline) == .success }
            guard answered.contains(true) else {
                return .error(id: id, code: "loop-busy",
                              message: (loops.count == 1 ? "the loop" : "no loop (of \(loops.map(\.0).joined(separator: ", ")))")
                                + " did not answer within \(Int(Self.stacksTimeout)) s (a long step, or it is not running)")
            }
            // The walks are done; reading the binary's debug information for new addresses
            // can take seconds the first time in a large binary.
            var found: [TaskID: StackAnswer] = [:]
            for (reply, walked) in zip(answers, answered) where walked {
                guard let part = reply.value(within: Self.symbolsTimeout) else {
                    return .error(id: id, code: "internal", message: "the stacks were not symbolicated within \(Int(Self.symbolsTimeout)) s")
                }
                found.merge(part) { held, other in Self.better(held, other) }
            }
            let silent = zip(loops, answered).filter { !$0.1 }.map(\.0.0)
            let unanswered = silent.isEmpty ? "no answer"
                : "no answer: loop \(silent.joined(separator: ", ")) did not walk its stacks within \(Int(Self.stacksTimeout)) s"
            let order = tasks ?? found.keys.sorted()
            return .stacks(id: id, stacks: order.map { task in
                switch found[task] {
                case .stack(let stack)?: StackReply(task: task, stack: stack)
                // Not a task of the loops that answered: perhaps one of those that did not.
                case .unavailable(let why)? where why == StackAnswer.noSuchTask && !silent.isEmpty:
                    StackReply(task: task, stack: nil, unavailable: unanswered)
                case .unavailable(let why)?: StackReply(task: task, stack: nil, unavailable: why)
                case nil: StackReply(task: task, stack: nil, unavailable: unanswered)
                }
            })
        case .launch(let id, let demo):
            guard let launch = configuration.launch, let eventLoop = loop as? EventLoop else {
                return .error(id: id, code: "not-allowed", message: "this program does not allow launching demos")
            }
            guard configuration.demos.contains(demo) else {
                return .error(id: id, code: "unknown-demo", message: "no demo '\(demo)'; allowed: \(configuration.demos.joined(separator: ", "))")
            }
            launch(demo, eventLoop)
            return .reply(id: id, result: "launched")
        }
    }
}

/// A message from the monitor server to a client.
public enum ServerMessage: Hashable, Sendable {
    /// The first message on every connection.
    case hello(Hello)
    /// What changed in the loop; the first delta after hello (or resume, or a resync) is full.
    case delta(Update)
    /// The answer to a client message that succeeded.
    case reply(id: Int?, result: String)
    /// The answer to a `stacks` request: a `reply` whose result is "stacks", with each
    /// task's stack or why it has none.
    case stacks(id: Int?, stacks: [StackReply])
    /// The answer to a client message that failed or could not be read.
    case error(id: Int?, code: String, message: String)
    /// A loop of the process joined the socket, or left it (`closed`); sent only to a
    /// client whose hello asked for every loop, before the loop's first delta.
    case loop(LoopEntry)

    /// One loop of a process served on a socket.
    public struct LoopEntry: Hashable, Codable, Sendable {
        /// Its number on this connection: 0 is the hello's loop; deltas say which they are of.
        public var id: Int
        public var name: String
        /// Unix time (seconds) of the loop's time zero.
        public var epoch: Double
        /// True when the loop has closed: it sends nothing more and its tasks are gone.
        public var closed: Bool

        public init(id: Int, name: String, epoch: Double, closed: Bool = false) {
            self.id = id
            self.name = name
            self.epoch = epoch
            self.closed = closed
        }
    }

    /// The server's introduction: protocol version, who it is and what it allows.
    public struct Hello: Hashable, Codable, Sendable {
        /// ``WireProtocol/version``.
        public var `protocol`: Int
        public var pid: Int32
        /// The program's name (its executable's last path component).
        public var program: String
        public var loopName: String
        /// Unix time (seconds) of the loop's time zero.
        public var epoch: Double
        /// Seconds between deltas.
        public var interval: Double
        /// The demos a client may launch; empty when launching is not allowed.
        public var demos: [String]
        /// The longest line the server accepts, in bytes.
        public var maxLineBytes: Int

        public init(protocol: Int = WireProtocol.version, pid: Int32, program: String, loopName: String,
                    epoch: Double, interval: Double, demos: [String] = [],
                    maxLineBytes: Int = WireProtocol.maxClientLineBytes) {
            self.protocol = `protocol`
            self.pid = pid
            self.program = program
            self.loopName = loopName
            self.epoch = epoch
            self.interval = interval
            self.demos = demos
            self.maxLineBytes = maxLineBytes
        }
    }

    /// A delta and the number of updates this client missed so far.
    public struct Update: Hashable, Codable, Sendable {
        /// Updates not sent to this client since it connected because it read too slowly
        /// (they were coalesced into a later full delta).
        public var dropped: UInt64
        public var delta: SnapshotDelta
        /// Which loop it is of (``LoopEntry/id``): 0, the hello's, unless the client asked
        /// for every loop.
        public var loop: Int

        public init(dropped: UInt64, delta: SnapshotDelta, loop: Int = 0) {
            self.dropped = dropped
            self.delta = delta
            self.loop = loop
        }
    }
}

/// One task's part of a `stacks` reply.
public struct StackReply: Hashable, Codable, Sendable {
    public var task: TaskID
    /// The stack, innermost first; nil when there is none.
    public var stack: TaskStack?
    /// Why there is no stack ("running", "finished", "no such task", "not started yet", …).
    public var unavailable: String?

    public init(task: TaskID, stack: TaskStack?, unavailable: String? = nil) {
        self.task = task
        self.stack = stack
        self.unavailable = unavailable
    }
}

extension ServerMessage: Codable {
    enum Keys: String, CodingKey { case type, hello, delta, dropped, id, result, code, message, stacks, loop }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "hello": self = .hello(try c.decode(Hello.self, forKey: .hello))
        case "delta":
            self = .delta(Update(dropped: try c.decode(UInt64.self, forKey: .dropped),
                                 delta: try c.decode(SnapshotDelta.self, forKey: .delta),
                                 loop: try c.decodeIfPresent(Int.self, forKey: .loop) ?? 0))
        case "loop": self = .loop(try c.decode(LoopEntry.self, forKey: .loop))
        case "reply":
            let id = try c.decodeIfPresent(Int.self, forKey: .id)
            let result = try c.decode(String.self, forKey: .result)
            if result == "stacks", let stacks = try c.decodeIfPresent([StackReply].self, forKey: .stacks) {
                self = .stacks(id: id, stacks: stacks)
            } else {
                self = .reply(id: id, result: result)
            }
        case "error":
            self = .error(id: try c.decodeIfPresent(Int.self, forKey: .id), code: try c.decode(String.self, forKey: .code),
                          message: try c.decode(String.self, forKey: .message))
        default: throw ClientMessage.UnknownType(type: type, id: try? c.decodeIfPresent(Int.self, forKey: .id))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case .hello(let hello):
            try c.encode("hello", forKey: .type)
            try c.encode(hello, forKey: .hello)
        case .delta(let update):
            try c.encode("delta", forKey: .type)
            try c.encode(update.dropped, forKey: .dropped)
            try c.encode(update.delta, forKey: .delta)
            if update.loop != 0 { try c.encode(update.loop, forKey: .loop) }
        case .reply(let id, let result):
            try c.encode("reply", forKey: .type)
            try c.encodeIfPresent(id, forKey: .id)
            try c.encode(result, forKey: .result)
        case .stacks(let id, let stacks):
            try c.encode("reply", forKey: .type)
            try c.encodeIfPresent(id, forKey: .id)
            try c.encode("stacks", forKey: .result)
            try c.encode(stacks, forKey: .stacks)
        case .error(let id, let code, let message):
            try c.encode("error", forKey: .type)
            try c.encodeIfPresent(id, forKey: .id)
            try c.encode(code, forKey: .code)
            try c.encode(message, forKey: .message)
        case .loop(let entry):
            try c.encode("loop", forKey: .type)
            try c.encode(entry, forKey: .loop)
        }
    }
}

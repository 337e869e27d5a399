/// A message from a client to the monitor server.
///
/// Every message may carry an `id` of the client's choice; the reply repeats it.
public enum ClientMessage: Hashable, Sendable {
    /// The client's introduction, the first thing it sends: the protocol it speaks, and
    /// whether it reads every loop of the process (`loop` messages and deltas of each) or
    /// only the hello's. The server sends deltas only after it.
    case hello(id: Int?, protocol: Int, loops: Bool = false)
    /// Cancel task `task`, with an optional message (recorded as the dashboard's request).
    case cancel(id: Int?, task: TaskID, message: String?)
    /// Stop sending deltas until `resume`.
    case pause(id: Int?)
    /// Send deltas again; the next one covers everything since the last one sent.
    case resume(id: Int?)
    /// Launch the named demo, where the program allows it.
    case launch(id: Int?, demo: String)
    /// Answered with a `pong` reply: a liveness check.
    case ping(id: Int?)
    /// Capture the async stacks of `tasks` (every suspended task when nil); answered with a
    /// `stacks` reply.
    case stacks(id: Int?, tasks: [TaskID]?)

    /// The request id the client chose, if any.
    public var id: Int? {
        switch self {
        case .hello(let id, _, _), .cancel(let id, _, _), .pause(let id), .resume(let id), .launch(let id, _), .ping(let id), .stacks(let id, _): id
        }
    }

    /// The wire name of the message ("cancel", "pause", …).
    public var type: String {
        switch self {
        case .hello: "hello"
        case .cancel: "cancel"
        case .pause: "pause"
        case .resume: "resume"
        case .launch: "launch"
        case .ping: "ping"
        case .stacks: "stacks"
        }
    }
}

extension ClientMessage: Codable {
    enum Keys: String, CodingKey { case type, id, task, tasks, message, demo, `protocol`, loops }

    /// The most task ids one `stacks` request may name.
    public static let stacksRequestLimit = 10_000

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let type = try c.decode(String.self, forKey: .type)
        let id = try Self.requestID(in: c)
        switch type {
        case "hello":
            guard let version = try? c.decode(Int.self, forKey: .protocol) else {
                throw BadField(field: "protocol", problem: "must be the protocol version the client speaks (an integer)")
            }
            let loops: Bool
            do { loops = try c.decodeIfPresent(Bool.self, forKey: .loops) ?? false } catch {
                throw BadField(field: "loops", problem: "must be true or false")
            }
            self = .hello(id: id, protocol: version, loops: loops)
        case "cancel":
            guard c.contains(.task) else { throw BadField(field: "task", problem: "is missing") }
            // Any integer 0…2^64-1 is a task id to look up; anything else is refused here,
            // with a message of ours rather than the decoder's.
            guard let task = try? c.decode(TaskID.self, forKey: .task) else {
                throw BadField(field: "task", problem: "must be a task id (an integer from 0 to \(TaskID.max))")
            }
            self = .cancel(id: id, task: task, message: try c.decodeIfPresent(String.self, forKey: .message))
        case "pause": self = .pause(id: id)
        case "resume": self = .resume(id: id)
        case "launch": self = .launch(id: id, demo: try c.decode(String.self, forKey: .demo))
        case "ping": self = .ping(id: id)
        case "stacks":
            guard c.contains(.tasks), !((try? c.decodeNil(forKey: .tasks)) ?? false) else {
                self = .stacks(id: id, tasks: nil)
                return
            }
            guard let tasks = try? c.decode([TaskID].self, forKey: .tasks) else {
                throw BadField(field: "tasks", problem: "must be a list of task ids (integers from 0 to \(TaskID.max))")
            }
            guard tasks.count <= Self.stacksRequestLimit else {
                throw BadField(field: "tasks", problem: "names \(tasks.count) tasks; at most \(Self.stacksRequestLimit) a request")
            }
            self = .stacks(id: id, tasks: tasks)
        default: throw UnknownType(type: type, id: id)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(type, forKey: .type)
        try c.encodeIfPresent(id, forKey: .id)
        switch self {
        case .hello(_, let version, let loops):
            try c.encode(version, forKey: .protocol)
            if loops { try c.encode(true, forKey: .loops) }
        case .cancel(_, let task, let message):
            try c.encode(task, forKey: .task)
            try c.encodeIfPresent(message, forKey: .message)
        case .launch(_, let demo): try c.encode(demo, forKey: .demo)
        case .stacks(_, let tasks): try c.encodeIfPresent(tasks, forKey: .tasks)
        case .pause, .resume, .ping: break
        }
    }

    /// The `id` of a message: absent or null, or an integer 0…Int.max.
    static func requestID(in c: KeyedDecodingContainer<Keys>) throws -> Int? {
        guard c.contains(.id), !((try? c.decodeNil(forKey: .id)) ?? false) else { return nil }
        guard let id = try? c.decode(Int.self, forKey: .id), id >= 0 else {
            throw BadField(field: "id", problem: "must be a request id (an integer from 0 to \(Int.max))")
        }
        return id
    }

    /// Thrown while decoding a field that is missing or has a value it cannot have.
    struct BadField: Error {
        var field: String
        var problem: String
    }

    /// Thrown while decoding a message whose `type` is not known.
    struct UnknownType: Error {
        var type: String
        var id: Int?
    }
}

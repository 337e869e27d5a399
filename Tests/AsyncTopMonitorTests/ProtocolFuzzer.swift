import AsyncTopModel
import Foundation

/// A seeded generator of monitor protocol lines (good, bad and extreme) and of the answer
/// each one must get, for ``MonitorFuzzTests``. The same seed gives the same bytes.
struct ProtocolFuzzer {
    /// SplitMix64: small, fast, and the same on every platform.
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// The answer a line must get.
    struct Expectation: CustomStringConvertible {
        enum Kind {
            /// A `reply` with one of these results.
            case reply(Set<String>)
            /// An `error` with one of these codes (any code when empty).
            case error(Set<String>)
            /// A cancel's answer: `requested`/`queued`, or `not-found`/`already-finished`/`not-cancellable`.
            case cancel
            /// A `stacks` reply (or the loop's `loop-busy`).
            case stacks
            /// Exactly one answer of either kind (the parser may or may not accept the line).
            case any
        }
        var kind: Kind
        /// The id the answer must carry; `.some(nil)`: none; nil: not checked.
        var id: Int??
        /// The line, for failure messages (cut).
        var line: String

        var description: String { "\(kind) id \(id.map { $0.map(String.init) ?? "none" } ?? "any") for \(line)" }

        func check(_ message: ServerMessage) -> Bool {
            let answerID: Int?
            switch message {
            case .reply(let id, let result):
                answerID = id
                switch kind {
                case .reply(let results): if !results.contains(result) { return false }
                case .cancel: if !["requested", "queued"].contains(result) { return false }
                case .any: break
                case .error, .stacks: return false
                }
            case .stacks(let id, _):
                answerID = id
                switch kind {
                case .stacks, .any: break
                default: return false
                }
            case .error(let id, let code, _):
                answerID = id
                switch kind {
                case .error(let codes): if !codes.isEmpty && !codes.contains(code) { return false }
                case .cancel: if !["not-found", "already-finished", "not-cancellable"].contains(code) { return false }
                case .stacks: if code != "loop-busy" { return false }
                case .any: break
                case .reply: return false
                }
            case .hello, .delta, .loop: return false
            }
            if let id, answerID != id { return false }
            return true
        }
    }

    var random: Random
    /// Task ids that may be cancelled (the fixture's sleepers and so on).
    let cancellable: [TaskID]
    /// Task ids that must never be cancelled (main, the ticker): the loop must keep running.
    let protected: Set<TaskID>
    let limit = WireProtocol.maxClientLineBytes
    var nextID = 1

    init(seed: UInt64, cancellable: [TaskID], protected: Set<TaskID>) {
        random = Random(state: seed)
        self.cancellable = cancellable
        self.protected = protected
    }

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }
    mutating func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &random)] }

    // MARK: Values

    static let pieces = ["a", "Z", "0", " ", "é", "日本", "🚀", "\\n", "\\\"", "\\\\", "\\u0000", "\\u00e9", "\\t", "ü", "Ω", "'", "{", "]", ","]

    /// A JSON string literal: ASCII, Unicode, escapes; sometimes long.
    mutating func string(maxLength: Int = 40) -> String {
        if chance(2) {
            return "\"" + String(repeating: pick(Self.pieces) + pick(Self.pieces), count: Int.random(in: 100...2000, using: &random)) + "\""
        }
        var text = "\""
        for _ in 0..<Int.random(in: 0...maxLength, using: &random) { text += pick(Self.pieces) }
        return text + "\""
    }

    /// Nested arrays or objects `depth` deep (less where the line would pass the limit).
    mutating func nested(depth: Int) -> String {
        chance(50) ? String(repeating: "[", count: min(depth, limit / 2 - 100)) + "1" + String(repeating: "]", count: min(depth, limit / 2 - 100))
            : String(repeating: #"{"a":"#, count: min(depth, limit / 6 - 100)) + "1" + String(repeating: "}", count: min(depth, limit / 6 - 100))
    }

    static let badNumbers = ["-1", "-9223372036854775808", "-0.5", "1.5", "1e300", "-1e300", "123456789012345678901234567890",
                             "\"7\"", "\"\"", "true", "false", "[]", "[1]", "{}", #"{"id":1}"#]

    /// Values that are no valid request id or task id (nor a string or anything else).
    mutating func badNumber(unsigned: Bool) -> String {
        switch Int.random(in: 0..<(Self.badNumbers.count + 3), using: &random) {
        case Self.badNumbers.count: unsigned ? "18446744073709551616" : "9223372036854775808"
        case Self.badNumbers.count + 1: string(maxLength: 8)
        case Self.badNumbers.count + 2: nested(depth: Int.random(in: 2...64, using: &random))
        case let i: Self.badNumbers[i]
        }
    }

    static let anyValues = ["null", "0", "-1", "1e300", "true", "\"\"", "[1,2,{}]", #"{"x":[null]}"#, "9223372036854775808"]

    /// Any JSON value, for keys the server ignores.
    mutating func anyValue() -> String { chance(10) ? string() : pick(Self.anyValues) }

    // MARK: Lines

    /// The next line to send (without its newline) and its expected answer, or nil for a
    /// line that gets none (blank).
    mutating func next() -> (bytes: [UInt8], expect: Expectation?) {
        let roll = Int.random(in: 0..<1000, using: &random)
        switch roll {
        case 0..<10: return (Array(pick(["", " ", "\t", "  \t ", "\r"]).utf8), nil)
        case 10..<14: return tooLong()
        case 14..<16: return atTheLimit()
        case 16..<60: return notAnObject()
        case 60..<120: return corrupted()
        case 120..<128: return deeplyNested()
        default: return message()
        }
    }

    func expect(_ kind: Expectation.Kind, id: Int??, _ bytes: [UInt8]) -> Expectation {
        Expectation(kind: kind, id: id, line: String(decoding: bytes.prefix(160), as: UTF8.self))
    }

    /// Printable filler for long lines, made once.
    static let filler: [UInt8] = {
        var random = Random(state: 42)
        return (0..<(WireProtocol.maxClientLineBytes + 40_000)).map { _ in UInt8(0x20 + random.next() % 95) }
    }()

    mutating func tooLong() -> ([UInt8], Expectation?) {
        let head = Array(#"{"type":"ping","id":1,"pad":""#.utf8)
        let length = limit + Int.random(in: 1...20_000, using: &random)
        let start = Int.random(in: 0..<20_000, using: &random)
        let bytes = head + Self.filler[start..<(start + length - head.count)]
        return (bytes, expect(.error(["too-long"]), id: .some(nil), bytes))
    }

    /// A good ping exactly as long as the limit allows.
    mutating func atTheLimit() -> ([UInt8], Expectation?) {
        let id = nextID
        nextID += 1
        let head = Array(#"{"type":"ping","id":\#(id),"pad":""#.utf8), tail = Array(#""}"#.utf8)
        let bytes = head + [UInt8](repeating: UInt8(ascii: "x"), count: limit - head.count - tail.count) + tail
        return (bytes, expect(.reply(["pong"]), id: .some(id), bytes))
    }

    mutating func notAnObject() -> ([UInt8], Expectation?) {
        var bytes: [UInt8]
        if chance(50) {
            bytes = Array(pick(["42", "[]", "[1,{\"type\":\"ping\"}]", "null", "\"ping\"", "not json", "type=ping", "}{", "-",
                                "\u{FEFF}{\"type\":\"ping\"}", "ping"]).utf8)
        } else {
            // Random bytes, none of them a newline, the first one not blank nor "{".
            bytes = (0..<Int.random(in: 1...300, using: &random)).map { _ in
                var byte = UInt8.random(in: 0...255, using: &random)
                while byte == 0x0A { byte = UInt8.random(in: 0...255, using: &random) }
                return byte
            }
            while [0x20, 0x09, 0x0D, UInt8(ascii: "{")].contains(bytes[0]) { bytes[0] = UInt8.random(in: 0x21...0x7A, using: &random) }
        }
        return (bytes, expect(.error(["malformed"]), id: .some(nil), bytes))
    }

    /// A message broken so that it is no JSON: cut short, a stray or invalid byte, a NUL.
    mutating func corrupted() -> ([UInt8], Expectation?) {
        var (bytes, _) = goodMessage()
        switch Int.random(in: 0..<4, using: &random) {
        case 0: bytes = Array(bytes.prefix(Int.random(in: 1..<bytes.count, using: &random)))  // cut: no closing brace
        case 1: bytes.insert(pick([0xFF, 0xC3, 0x80, 0xFE, 0xED]), at: Int.random(in: 1..<bytes.count, using: &random))
        case 2: bytes.insert(0, at: Int.random(in: 1..<bytes.count, using: &random))
        // A stray token, or a lone UTF-16 surrogate (which a parser may refuse or replace).
        default: bytes.insert(contentsOf: Array(pick([",,", "::", "{", "]", "\"", "\\", #","s":"\ud800""#]).utf8), at: bytes.count - 1)
        }
        // Some of these are still JSON (a byte inside a string, a cut that ends where a
        // value could): only that one answer comes is certain, and an error for the rest.
        return (bytes, expect(.any, id: nil, bytes))
    }

    mutating func deeplyNested() -> ([UInt8], Expectation?) {
        let depth = pick([100, 600, 5_000, 30_000])
        let id = nextID
        nextID += 1
        switch Int.random(in: 0..<3, using: &random) {
        case 0:
            let bytes = Array(#"{"type":"cancel","id":\#(id),"task":\#(nested(depth: depth))}"#.utf8)
            return (bytes, expect(.error(["bad-field", "malformed"]), id: nil, bytes))
        case 1:
            let bytes = Array(#"{"type":"ping","id":\#(nested(depth: depth))}"#.utf8)
            return (bytes, expect(.error(["bad-field", "malformed"]), id: .some(nil), bytes))
        default:
            // In a key the server ignores: fine if the parser takes it, malformed if not.
            let bytes = Array(#"{"type":"ping","id":\#(id),"x":\#(nested(depth: depth))}"#.utf8)
            return (bytes, expect(.any, id: nil, bytes))
        }
    }

    /// A well-formed message of a random type with random (often bad) fields.
    mutating func message() -> ([UInt8], Expectation?) {
        var fields: [(String, String)] = []
        var expected: Expectation.Kind?
        // The id: absent, null, valid, or bad.
        var id: Int?
        var idValid = true
        switch Int.random(in: 0..<10, using: &random) {
        case 0: break
        case 1: fields.append(("id", "null"))
        case 2: id = pick([0, Int.max]); fields.append(("id", String(id!)))
        case 3, 4: idValid = false; fields.append(("id", badNumber(unsigned: false)))
        default: id = nextID; nextID += 1; fields.append(("id", String(id!)))
        }
        let bad: Expectation.Kind = .error(["bad-field"])
        let type = pick(["cancel", "cancel", "cancel", "ping", "ping", "pause", "resume", "launch", "launch", "stacks", "unknown", "badtype", "notype"])
        switch type {
        case "unknown":
            fields.append(("type", chance(20) ? string(maxLength: 30) : pick(["\"explode\"", "\"\"", "\"PING\"", "\"пинг\"", "\"🚀\""])))
            expected = .error(["unknown-type"])
        case "badtype":
            fields.append(("type", pick(["null", "5", "true", "[]", "{}", "[\"ping\"]"])))
            expected = bad
        case "notype":
            expected = bad
        case "cancel":
            fields.append(("type", "\"cancel\""))
            switch Int.random(in: 0..<10, using: &random) {
            case 0: expected = bad  // no task
            case 1, 2: fields.append(("task", badNumber(unsigned: true))); expected = bad
            case 3: fields.append(("task", "0")); expected = .error(["not-found"])
            case 4: fields.append(("task", pick(["18446744073709551615", "9223372036854775807", "1000000000000"]))); expected = .error(["not-found"])
            case 5 where !cancellable.isEmpty, 6 where !cancellable.isEmpty:
                fields.append(("task", String(pick(cancellable)))); expected = .cancel
            default:
                var task = UInt64.random(in: 1...5_000, using: &random)
                while protected.contains(task) { task = UInt64.random(in: 1...5_000, using: &random) }
                fields.append(("task", String(task))); expected = .cancel
            }
            switch Int.random(in: 0..<5, using: &random) {
            case 0: break
            case 1: fields.append(("message", "null"))
            case 2: fields.append(("message", pick(["5", "[]", "{}", "true"]))); expected = bad
            default: fields.append(("message", string()))
            }
        case "stacks":
            fields.append(("type", "\"stacks\""))
            switch Int.random(in: 0..<6, using: &random) {
            case 0: expected = .stacks  // every suspended task
            case 1: fields.append(("tasks", "null")); expected = .stacks
            case 2: fields.append(("tasks", pick(["5", "\"all\"", "{}", "true", "[-1]", "[1.5]", "[\"1\"]", "[null]"]))); expected = bad
            case 3: fields.append(("tasks", "[\(badNumber(unsigned: true))]")); expected = bad
            default:
                let ids = (0..<Int.random(in: 0...4, using: &random)).map { _ in
                    pick(["0", "1", "18446744073709551615", String(UInt64.random(in: 1...5_000, using: &random))])
                }
                fields.append(("tasks", "[" + ids.joined(separator: ",") + "]")); expected = .stacks
            }
        case "launch":
            fields.append(("type", "\"launch\""))
            switch Int.random(in: 0..<10, using: &random) {
            case 0: expected = bad
            case 1: fields.append(("demo", pick(["null", "5", "[]", "{}", "true"]))); expected = bad
            case 2: fields.append(("demo", "\"burst\"")); expected = .reply(["launched"])
            default: fields.append(("demo", chance(20) ? string(maxLength: 20) : pick(["\"nope\"", "\"\"", "\"デモ\"", "\"burst \"", "\"BURST\""])))
                expected = .error(["unknown-demo"])
            }
        default:
            fields.append(("type", "\"\(type)\""))
            expected = .reply([["ping": "pong", "pause": "paused", "resume": "resumed"][type]!])
        }
        // The type is read first, then the id, then the rest: a bad id makes any message
        // with a readable type a bad field, and is never repeated.
        if !idValid { expected = bad }
        for _ in 0..<(chance(20) ? Int.random(in: 1...3, using: &random) : 0) {
            fields.append((pick(["extra", "x", "ID", "Type", "taskid", "ü"]), anyValue()))
        }
        fields.shuffle(using: &random)
        let body = "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: chance(10) ? " , " : ",") + "}"
        let padded = (chance(5) ? " " : "") + body + (chance(5) ? "\r" : "")
        let bytes = Array(padded.utf8)
        return (bytes, expect(expected!, id: .some(idValid ? id : nil), bytes))
    }

    /// A valid message of a random type, for corruption.
    mutating func goodMessage() -> ([UInt8], Expectation?) {
        let id = nextID
        nextID += 1
        let text = pick([#"{"type":"ping","id":\#(id)}"#, #"{"type":"cancel","id":\#(id),"task":0,"message":"stop ü"}"#,
                         #"{"type":"launch","id":\#(id),"demo":"nope"}"#, #"{"id":\#(id),"type":"resume"}"#,
                         #"{"type":"stacks","id":\#(id),"tasks":[1,0]}"#])
        let bytes = Array(text.utf8)
        return (bytes, expect(.any, id: nil, bytes))
    }
}

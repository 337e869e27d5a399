/// One line of a headless trace: something that happened to a task, or a lint, at a loop time.
public struct TraceEvent: Hashable, Sendable {
    /// Loop time of the event.
    public var at: Nanos
    /// "spawned", "started", "suspended", "resumed", "done", "failed", "cancel_requested",
    /// "cancelled", "lint" or "output" (a line the demo printed).
    public var event: String
    public var task: TaskID?
    public var name: String?
    /// What a suspended task waits on, a result, an error, a message, a lint's text.
    public var detail: String?

    public init(at: Nanos, event: String, task: TaskID? = nil, name: String? = nil, detail: String? = nil) {
        self.at = at
        self.event = event
        self.task = task
        self.name = name
        self.detail = detail
    }

    /// The JSON object of the event, one line: `{"t": 0.102, "event": "done", "task": 7, "name": "b", ...}`.
    public func json() -> String {
        var fields = ["\"t\": \(Double(at / 1_000) / 1e6)", "\"event\": \(jsonString(event))"]
        if let task { fields.append("\"task\": \(task)") }
        if let name { fields.append("\"name\": \(jsonString(name))") }
        if event == "lint", let detail, let colon = detail.firstRange(of: ": ") {
            // "long-step: blocker (4) held the loop…" → {"lint": "long-step", "message": "blocker (4) held…"}
            fields.append("\"lint\": \(jsonString(String(detail[..<colon.lowerBound])))")
            fields.append("\"message\": \(jsonString(String(detail[colon.upperBound...])))")
        } else if let detail {
            let key = switch event {
            case "suspended": "on"
            case "done": "result"
            case "failed": "error"
            case "lint": "lint"
            case "output": "text"
            default: "detail"
            }
            fields.append("\"\(key)\": \(jsonString(detail))")
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// The event as a line of text: `  0.102s  done        b (7): b`.
    public var text: String {
        let who = task.map { " \(name ?? "Task-\($0)") (\($0))" } ?? ""
        return "\(formatSeconds(at).leftPadded(to: 9))  \(event.padding(toLength: 16, withPad: " ", startingAt: 0))\(who)"
            + (detail.map { ": \($0)" } ?? "")
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

/// A JSON string literal of `text`.
public func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
            + String(scalar.value, radix: 16)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

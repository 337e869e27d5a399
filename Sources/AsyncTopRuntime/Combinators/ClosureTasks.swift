import AsyncTopModel

/// Names the tasks a combinator spawns from closures: "gather[0]@Main.swift:12", or
/// "name[0]" when the caller named them.
struct ChildNamer {
    let prefix: String
    let suffix: String
    var index = 0

    init(combinator: String, name: String?, file: StaticString, line: UInt) {
        if let name {
            prefix = name
            suffix = ""
        } else {
            prefix = combinator
            let path = "\(file)"
            suffix = "@" + (path.split(separator: "/").last.map(String.init) ?? path) + ":\(line)"
        }
    }

    mutating func next() -> String {
        defer { index += 1 }
        return "\(prefix)[\(index)]\(suffix)"
    }
}

/// Spawns each closure as a task of the current loop, named by ``ChildNamer``.
func spawnAll<T: Sendable>(
    _ bodies: [@Sendable () async throws -> T], combinator: String, name: String?, file: StaticString, line: UInt
) throws -> [TaskHandle<T>] {
    var namer = ChildNamer(combinator: combinator, name: name, file: file, line: line)
    return try bodies.map { try spawn(name: namer.next(), file: file, line: line, $0) }
}

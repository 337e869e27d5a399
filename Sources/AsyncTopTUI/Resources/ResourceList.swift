import AsyncTopModel

/// The resources of a snapshot in the order the resources view lists them: the loop's
/// descriptors first (listening servers, then sockets, pipes, child processes), then its
/// primitives (locks, semaphores, events, conditions, queues, futures), each kind by id.
/// Servers lead: a few of them would otherwise sink under hundreds of their connections.
struct ResourceList {
    /// The kinds the loop's reactor registers (`IOWatch`), in the order listed.
    static let ioKinds = ["Server", "TCP", "Unix socket", "Socket", "Pipe", "Process"]
    /// The primitives' kinds, in the order listed; others follow them by name.
    static let primitiveKinds = ["Lock", "Semaphore", "Event", "Condition", "Queue", "Future"]

    let resources: [ResourceInfo]

    init(snapshot: Snapshot) {
        resources = snapshot.resources.enumerated().sorted { a, b in
            let (ra, rb) = (Self.rank(a.element.kind), Self.rank(b.element.kind))
            if ra != rb { return ra < rb }
            if a.element.kind != b.element.kind { return a.element.kind < b.element.kind }
            if a.element.id != b.element.id { return a.element.id < b.element.id }
            return a.offset < b.offset
        }.map(\.element)
    }

    var count: Int { resources.count }
    var isEmpty: Bool { resources.isEmpty }

    /// The row of a resource by ``key(_:)``.
    func index(of key: String) -> Int? { resources.firstIndex { Self.key($0) == key } }

    /// What the selection follows across refreshes: kind and id (the primitives' ids and
    /// the descriptors' need not be apart).
    static func key(_ resource: ResourceInfo) -> String { "\(resource.kind)#\(resource.id)" }

    static func isIO(_ kind: String) -> Bool { ioKinds.contains(kind) }

    /// How many of a snapshot's resources are the loop's descriptors: its "fds".
    static func ioCount(in snapshot: Snapshot) -> Int { snapshot.resources.reduce(0) { $0 + (isIO($1.kind) ? 1 : 0) } }

    private static func rank(_ kind: String) -> Int {
        if let n = ioKinds.firstIndex(of: kind) { return n }
        if let n = primitiveKinds.firstIndex(of: kind) { return ioKinds.count + n }
        return ioKinds.count + primitiveKinds.count
    }

    /// "1 server, 9 TCP sockets, 2 locks": each kind present with its count, in list order.
    var counts: String {
        var seen: [(kind: String, count: Int)] = []
        for resource in resources {
            if let last = seen.last, last.kind == resource.kind { seen[seen.count - 1].count += 1 } else { seen.append((resource.kind, 1)) }
        }
        return seen.map { "\($0.count) \(Self.noun($0.kind, plural: $0.count != 1))" }.joined(separator: ", ")
    }

    /// "TCP socket", "processes", "locks".
    static func noun(_ kind: String, plural: Bool) -> String {
        switch kind {
        case "TCP": return plural ? "TCP sockets" : "TCP socket"
        case "Unix socket": return plural ? "Unix sockets" : "Unix socket"
        case "Process": return plural ? "processes" : "process"
        default:
            let word = kind.lowercased()
            return plural ? word + "s" : word
        }
    }
}

/// The loops of a process as a client holds them: each one's picture by its number on the
/// connection (``ServerMessage/LoopEntry/id``), built from `loop` messages and deltas.
///
/// A server of one loop (or a client that did not ask for every loop) gives loop 0 only.
public struct LoopSet: Hashable, Sendable {
    private var pictures: [Int: Snapshot]
    /// Loops announced that no delta has come for yet.
    public private(set) var awaiting: Set<Int>

    /// The hello's loop, before its first delta.
    public init(hello: ServerMessage.Hello) {
        self.init(first: Snapshot(epoch: hello.epoch, loopName: hello.loopName))
    }

    /// Loop 0 holding `first`.
    public init(first: Snapshot = Snapshot()) {
        pictures = [0: first]
        awaiting = [0]
    }

    /// A loop joined (its picture starts empty) or left (its picture goes).
    public mutating func apply(_ entry: ServerMessage.LoopEntry) {
        if entry.closed {
            pictures[entry.id] = nil
            awaiting.remove(entry.id)
        } else if pictures[entry.id] == nil {
            pictures[entry.id] = Snapshot(epoch: entry.epoch, loopName: entry.name)
            awaiting.insert(entry.id)
        } else if let picture = pictures[entry.id], picture.loopName != entry.name {
            pictures[entry.id]?.loopName = entry.name
        }
    }

    /// Applies a delta to its loop's picture. A loop the server named apart from another of
    /// the same name (`worker-2`) has its executor named so too.
    public mutating func apply(_ update: ServerMessage.Update) {
        pictures[update.loop, default: Snapshot()].apply(update.delta)
        awaiting.remove(update.loop)
        if let picture = pictures[update.loop],
           let own = picture.executors.firstIndex(where: { $0.kind == .loop }), picture.executors[own].name != picture.loopName {
            pictures[update.loop]?.executors[own].name = picture.loopName
        }
    }

    /// Whether `loop` is held (announced and not closed).
    public func holds(_ loop: Int) -> Bool { pictures[loop] != nil }

    /// Each loop's picture, in the order they joined.
    public var snapshots: [Snapshot] { pictures.sorted { $0.key < $1.key }.map(\.value) }

    /// Every loop as one picture (``Snapshot/merging(_:)``).
    public var merged: Snapshot { Snapshot.merging(snapshots) }
}

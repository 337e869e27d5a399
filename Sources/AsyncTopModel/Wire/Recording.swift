import Foundation

/// A recorded monitor stream, loaded for replay: the hello, then one frame per delta,
/// with snapshots at any frame in a few delta applications (a key frame every
/// ``keyFrameInterval`` frames). A recording of several loops (their `loop` lines and
/// deltas) gives them as one picture per frame (``Snapshot/merging(_:)``).
///
/// A truncated or corrupt file loads up to its first bad line; ``stoppedAtLine`` and
/// ``problem`` say where and why.
public struct Recording: Sendable {
    /// How many frames separate two stored full snapshots.
    public static let keyFrameInterval = 8

    public private(set) var hello: ServerMessage.Hello?
    /// Seconds since the recording began, per frame.
    public private(set) var times: [Double] = []
    /// Per frame: a new connection's hello since the previous frame (its loops start
    /// afresh), the loops that joined or left since, and its delta.
    private var frames: [(hello: ServerMessage.Hello?, entries: [ServerMessage.LoopEntry], update: ServerMessage.Update)] = []
    private var keyFrames: [LoopSet] = []
    private var base = LoopSet()
    /// The 1-based line at which loading stopped, when the file was not valid to its end.
    public private(set) var stoppedAtLine: Int?
    /// Why loading stopped early.
    public private(set) var problem: String?
    /// The protocol version of a recording this build cannot read (its hello says another
    /// one than ``WireProtocol/recordingVersions``); nothing is loaded from such a file.
    public private(set) var unsupportedVersion: Int?

    /// The number of frames (deltas) loaded.
    public var frameCount: Int { frames.count }

    /// The recording's length in seconds.
    public var duration: Double { times.last ?? 0 }

    /// Loads a recording from the bytes of a file.
    public init(bytes: [UInt8]) {
        var lineNumber = 0
        var start = 0
        var current = LoopSet()
        var entries: [ServerMessage.LoopEntry] = []
        var reconnected: ServerMessage.Hello?
        while start < bytes.count {
            lineNumber += 1
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            let line = bytes[start..<end]
            start = end + 1
            if line.isEmpty { continue }
            // The version first: a later version's hello may not even decode as ours.
            if hello == nil, let version = Self.protocolVersion(ofHello: line), !WireProtocol.recordingVersions.contains(version) {
                unsupportedVersion = version
                stoppedAtLine = lineNumber
                problem = Self.versionProblem(version)
                return
            }
            switch WireCodec.decode(RecordingEntry.self, from: line) {
            case .failure(let error):
                stoppedAtLine = lineNumber
                problem = end == bytes.count ? "truncated line: \(error)" : "\(error)"
                return
            case .success(let entry):
                switch entry.message {
                case .hello(let hello):
                    if self.hello == nil {
                        self.hello = hello
                        base = LoopSet(hello: hello)
                        current = base
                    } else {
                        // A client that recorded across a reconnection: the process (maybe a
                        // new one) is pictured afresh from the next frame.
                        reconnected = hello
                        entries = []
                    }
                case .delta(let update):
                    if let last = times.last, entry.t < last {
                        stoppedAtLine = lineNumber
                        problem = "time goes backwards"
                        return
                    }
                    if let hello = reconnected { current = LoopSet(hello: hello) }
                    for joinedOrLeft in entries { current.apply(joinedOrLeft) }
                    guard current.holds(update.loop) else {
                        stoppedAtLine = lineNumber
                        problem = "a delta of loop \(update.loop), which the recording never announced"
                        return
                    }
                    current.apply(update)
                    if frames.count % Self.keyFrameInterval == 0 { keyFrames.append(current) }
                    frames.append((reconnected, entries, update))
                    entries = []
                    reconnected = nil
                    times.append(entry.t)
                case .loop(let loop):
                    // Applied with the next delta, so that each frame's picture is whole.
                    entries.append(loop)
                case .reply, .error, .stacks:
                    continue
                }
            }
        }
    }

    /// Why a recording of protocol `version` is refused.
    public static func versionProblem(_ version: Int) -> String {
        "recorded with monitor protocol version \(version); this asynctop reads versions "
            + "\(WireProtocol.recordingVersions.lowerBound) to \(WireProtocol.recordingVersions.upperBound)"
    }

    /// The `protocol` of a line that is a hello entry, read without the rest of the hello.
    static func protocolVersion(ofHello line: ArraySlice<UInt8>) -> Int? {
        struct Entry: Decodable {
            struct Message: Decodable {
                struct Hello: Decodable { var `protocol`: Int }
                var type: String
                var hello: Hello?
            }
            var message: Message
        }
        guard let entry = try? WireCodec.makeDecoder().decode(Entry.self, from: Data(line)),
              entry.message.type == "hello" else { return nil }
        return entry.message.hello?.protocol
    }

    /// The snapshot after frame `index` (clamped to the frames loaded).
    public func snapshot(at index: Int) -> Snapshot { loops(at: index).merged }

    /// Each loop's picture after frame `index` (clamped to the frames loaded).
    public func loops(at index: Int) -> LoopSet {
        guard !frames.isEmpty else { return base }
        let index = min(max(index, 0), frames.count - 1)
        let key = index / Self.keyFrameInterval
        var loops = keyFrames[key]
        var i = key * Self.keyFrameInterval + 1
        while i <= index {
            if let hello = frames[i].hello { loops = LoopSet(hello: hello) }
            for entry in frames[i].entries { loops.apply(entry) }
            loops.apply(frames[i].update)
            i += 1
        }
        return loops
    }

    /// The last frame at or before `t` seconds (0 when none is).
    public func frame(atOrBefore t: Double) -> Int {
        var lo = 0, hi = times.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if times[mid] <= t { lo = mid + 1 } else { hi = mid }
        }
        return max(lo - 1, 0)
    }

    /// The snapshot at the end of the recording.
    public var last: Snapshot { snapshot(at: frames.count - 1) }
}

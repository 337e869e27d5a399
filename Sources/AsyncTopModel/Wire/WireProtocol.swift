/// Constants of the monitor protocol (newline-delimited JSON with binary deltas, see
/// docs/PROTOCOL.md).
public enum WireProtocol {
    /// The protocol version a server announces in its hello and a client says in its own.
    public static let version = 2
    /// The versions a client reads: protocol 1 servers (JSON deltas) are still understood.
    public static let readableVersions = 1...2
    /// The versions of recordings that replay: their lines are the same JSON in both.
    public static let recordingVersions = 1...2
    /// Why a server of protocol `version` at `path` cannot be read.
    public static func versionProblem(_ path: String, _ version: Int) -> String {
        "\(path): the server speaks monitor protocol \(version); this asynctop reads \(readableVersions.lowerBound) to \(readableVersions.upperBound)"
            + (version > readableVersions.upperBound ? ": please upgrade asynctop" : "")
    }

    /// The longest header line of a binary delta a client looks at as one.
    public static let maxFrameHeaderBytes = 1024
    /// The longest line a server accepts from a client, in bytes (newline excluded).
    public static let maxClientLineBytes = 64 * 1024
    /// The longest line a client accepts from a server, in bytes: a full snapshot of
    /// hundreds of thousands of tasks fits.
    public static let maxServerLineBytes = 512 * 1024 * 1024
    /// The environment variable that turns the monitor on in any program using the runtime.
    public static let socketEnvironmentVariable = "ASYNCTOP_SOCKET"
    /// The environment variable that names a file to record the first loop's stream to.
    public static let recordEnvironmentVariable = "ASYNCTOP_RECORD"
}

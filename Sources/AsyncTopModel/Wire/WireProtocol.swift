/// Constants of the monitor protocol (newline-delimited JSON, see docs/PROTOCOL.md).
public enum WireProtocol {
    /// The protocol version a server announces in its hello and a client checks.
    public static let version = 1
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

/// One line of a recording: a server message and when it arrived.
public struct RecordingEntry: Hashable, Codable, Sendable {
    /// Seconds since the recording began.
    public var t: Double
    public var message: ServerMessage

    public init(t: Double, message: ServerMessage) {
        self.t = t
        self.message = message
    }
}

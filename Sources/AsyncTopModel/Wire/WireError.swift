/// Why a line could not be decoded; the `code` is what an error reply carries.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable code: `malformed`, `unknown-type`, `too-long`, `bad-field`.
    public var code: String
    /// A human-readable explanation.
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func malformed(_ message: String) -> WireError { WireError(code: "malformed", message: message) }
}

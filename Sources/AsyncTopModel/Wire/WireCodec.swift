import Foundation

/// Encodes and decodes protocol lines: one JSON object per line, UTF-8, no newline inside.
///
/// Decoding never traps: any byte sequence yields a message or a ``WireError``.
public enum WireCodec {
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// The JSON of `value` followed by a newline.
    public static func line(_ value: some Encodable) -> [UInt8] {
        // Our messages hold strings, integers and floats only: encoding cannot fail.
        var bytes = [UInt8]((try? makeEncoder().encode(value)) ?? Data(#"{"type":"error","code":"internal","message":"encoding failed"}"#.utf8))
        bytes.append(0x0A)
        return bytes
    }

    /// Decodes one line (without its newline) into a `T`.
    public static func decode<T: Decodable>(_ type: T.Type, from line: some Collection<UInt8>,
                                            limit: Int = WireProtocol.maxServerLineBytes) -> Result<T, WireError> {
        if line.count > limit {
            return .failure(WireError(code: "too-long", message: "line of \(line.count) bytes exceeds the limit of \(limit)"))
        }
        // A JSON object starts with "{" after optional white space; anything else is not one.
        guard line.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) == UInt8(ascii: "{") else {
            return .failure(.malformed("not a JSON object"))
        }
        let data = Data(line)
        do {
            return .success(try makeDecoder().decode(T.self, from: data))
        } catch let bad as ClientMessage.BadField {
            return .failure(WireError(code: "bad-field", message: "'\(bad.field)' \(bad.problem)"))
        } catch let unknown as ClientMessage.UnknownType {
            return .failure(WireError(code: "unknown-type", message: "unknown message type '\(unknown.type)'"))
        } catch let DecodingError.typeMismatch(_, context) where context.codingPath.isEmpty {
            return .failure(.malformed("not a JSON object"))
        } catch let DecodingError.keyNotFound(key, _) {
            return .failure(WireError(code: "bad-field", message: "missing field '\(key.stringValue)'"))
        } catch let DecodingError.typeMismatch(_, context) {
            return .failure(WireError(code: "bad-field", message: "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"))
        } catch let DecodingError.valueNotFound(_, context) {
            return .failure(WireError(code: "bad-field", message: "null at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"))
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            return .failure(WireError(code: "bad-field", message: "bad value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"))
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            // The parser's own words (offsets, internal types) stay out of the reply.
            return .failure(.malformed("not valid JSON"))
        } catch {
            return .failure(.malformed("not a valid message"))
        }
    }

    /// Decodes a client's line, with the client line limit.
    public static func decodeClient(_ line: some Collection<UInt8>) -> Result<ClientMessage, WireError> {
        decode(ClientMessage.self, from: line, limit: WireProtocol.maxClientLineBytes)
    }

    /// Decodes a server's line.
    public static func decodeServer(_ line: some Collection<UInt8>) -> Result<ServerMessage, WireError> {
        decode(ServerMessage.self, from: line)
    }

    /// The request id of a line that failed to decode, when it has one, for the error reply.
    /// Only a valid id (an integer 0…Int.max) is repeated; the same parser as the message's
    /// reads it, so a line that trips one trips both the same way.
    public static func requestID(in line: some Collection<UInt8>) -> Int? {
        guard line.count <= WireProtocol.maxClientLineBytes,
              line.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) == UInt8(ascii: "{") else { return nil }
        return (try? makeDecoder().decode(RequestIDOnly.self, from: Data(line)))?.id
    }
}

/// A client line read for its `id` alone.
private struct RequestIDOnly: Decodable {
    var id: Int?
    init(from decoder: any Decoder) throws {
        id = try ClientMessage.requestID(in: decoder.container(keyedBy: ClientMessage.Keys.self))
    }
}

import Foundation

/// Writes the binary parts of the protocol (docs/PROTOCOL.md, "Binary encoding"):
/// unsigned LEB128 varints, strings as a varint length and UTF-8 bytes.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    @inline(__always) mutating func u8(_ value: UInt8) { bytes.append(value) }

    @inline(__always) mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// A signed integer, zigzag-encoded.
    @inline(__always) mutating func int(_ value: Int) {
        let v = Int64(value)
        varint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }

    /// An unsigned value as its (wrapping) difference from `old`, zigzag-encoded: a
    /// counter or a time that moved a little takes a byte or three.
    @inline(__always) mutating func change(_ value: UInt64, from old: UInt64) {
        let d = Int64(bitPattern: value &- old)
        varint(UInt64(bitPattern: (d << 1) ^ (d >> 63)))
    }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// Absent: 0; present: 1 and the value.
    mutating func optional<T>(_ value: T?, _ write: (inout ByteWriter, T) -> Void) {
        guard let value else { return u8(0) }
        u8(1)
        write(&self, value)
    }

    mutating func optString(_ value: String?) { optional(value) { $0.string($1) } }
    mutating func optVarint(_ value: UInt64?) { optional(value) { $0.varint($1) } }
    mutating func optInt(_ value: Int?) { optional(value) { $0.int($1) } }
}

/// Reads what ``ByteWriter`` wrote. Never traps: running past the end, an overlong varint,
/// invalid UTF-8 or a count larger than the bytes left throw a ``WireError``.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], from offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
        self.end = bytes.count
    }

    var isAtEnd: Bool { offset >= end }
    var remaining: Int { end - offset }

    static func truncated() -> WireError { WireError(code: "malformed", message: "truncated binary delta") }
    static func bad(_ what: String) -> WireError { WireError(code: "malformed", message: "binary delta: \(what)") }

    @inline(__always) mutating func u8() throws(WireError) -> UInt8 {
        guard offset < end else { throw Self.truncated() }
        defer { offset += 1 }
        return bytes[offset]
    }

    @inline(__always) mutating func varint() throws(WireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw Self.truncated() }
            let byte = bytes[offset]
            offset += 1
            if shift == 63 && byte > 1 { throw Self.bad("varint overflows 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { throw Self.bad("varint overflows 64 bits") }
        }
    }

    mutating func int() throws(WireError) -> Int {
        let v = try varint()
        let decoded = Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
        return Int(decoded)
    }

    /// What ``ByteWriter/change(_:from:)`` wrote.
    @inline(__always) mutating func change(from old: UInt64) throws(WireError) -> UInt64 {
        let v = try varint()
        return old &+ UInt64(bitPattern: Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1))))
    }

    /// A count of items that take at least `minimumBytes` each: at most what is left.
    mutating func count(minimumBytes: Int = 1) throws(WireError) -> Int {
        let n = try varint()
        guard n <= UInt64(remaining / max(minimumBytes, 1)) else { throw Self.bad("count \(n) exceeds the bytes left") }
        return Int(n)
    }

    mutating func string() throws(WireError) -> String {
        let n = try count()
        let start = offset
        offset += n
        let decoded: String? = bytes.withUnsafeBufferPointer { buffer in
            String(validating: UnsafeBufferPointer(rebasing: buffer[start..<start + n]), as: UTF8.self)
        }
        guard let decoded else { throw Self.bad("a string is not valid UTF-8") }
        return decoded
    }

    mutating func present() throws(WireError) -> Bool {
        switch try u8() {
        case 0: return false
        case 1: return true
        case let other: throw Self.bad("presence byte \(other)")
        }
    }

    mutating func optString() throws(WireError) -> String? { try present() ? try string() : nil }
    mutating func optVarint() throws(WireError) -> UInt64? { try present() ? try varint() : nil }
    mutating func optInt() throws(WireError) -> Int? { try present() ? try int() : nil }

    /// The next `n` bytes.
    mutating func take(_ n: Int) throws(WireError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw Self.truncated() }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }
}

extension ByteWriter {
    /// `value`'s JSON, after its length.
    mutating func json(_ value: some Encodable) {
        let data = (try? WireCodec.makeEncoder().encode(value)) ?? Data("null".utf8)
        varint(UInt64(data.count))
        bytes.append(contentsOf: data)
    }
}

extension ByteReader {
    /// What ``ByteWriter/json(_:)`` wrote.
    mutating func json<T: Decodable>(_ type: T.Type, what: String) throws(WireError) -> T {
        let n = try count()
        let bytes = try take(n)
        do {
            return try WireCodec.makeDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw ByteReader.bad("its \(what) are not valid")
        }
    }
}

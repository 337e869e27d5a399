#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The frames a process pool and its workers exchange over their pipes: a 4-byte
/// little-endian length, then the payload.
///
/// A request is `id` (8 bytes), the function name's length (2 bytes), the name, and the
/// argument as JSON. A response is `id` (8 bytes), a status byte, and the result as JSON or
/// an error message.
enum WorkerFrame {
    enum Status: UInt8 {
        case ok = 0
        case unknownFunction = 1
        case badArguments = 2
        case failed = 3
        /// Sent once by a worker that started, with id 0.
        case ready = 4
    }

    struct Response {
        var id: UInt64
        var status: Status
        var body: [UInt8]
    }

    static func request(id: UInt64, function: String, argument: [UInt8]) -> [UInt8] {
        let name = Array(function.utf8.prefix(Int(UInt16.max)))
        var frame: [UInt8] = []
        frame.reserveCapacity(4 + 8 + 2 + name.count + argument.count)
        append(UInt32(8 + 2 + name.count + argument.count), to: &frame)
        append(id, to: &frame)
        append(UInt16(name.count), to: &frame)
        frame += name
        frame += argument
        return frame
    }

    /// Splits a request payload; nil when it is malformed.
    static func parseRequest(_ payload: [UInt8]) -> (id: UInt64, function: String, argument: ArraySlice<UInt8>)? {
        guard payload.count >= 10 else { return nil }
        let id = read(UInt64.self, payload, at: 0)
        let nameLength = Int(read(UInt16.self, payload, at: 8))
        guard payload.count >= 10 + nameLength else { return nil }
        let name = String(decoding: payload[10..<10 + nameLength], as: UTF8.self)
        return (id, name, payload[(10 + nameLength)...])
    }

    static func response(id: UInt64, status: Status, body: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = []
        frame.reserveCapacity(4 + 9 + body.count)
        append(UInt32(9 + body.count), to: &frame)
        append(id, to: &frame)
        frame.append(status.rawValue)
        frame += body
        return frame
    }

    /// Splits a response payload; nil when it is malformed.
    static func parseResponse(_ payload: [UInt8]) -> Response? {
        guard payload.count >= 9, let status = Status(rawValue: payload[8]) else { return nil }
        return Response(id: read(UInt64.self, payload, at: 0), status: status, body: Array(payload[9...]))
    }

    private static func append<I: FixedWidthInteger>(_ value: I, to frame: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { frame.append(contentsOf: $0) }
    }

    private static func read<I: FixedWidthInteger>(_: I.Type, _ bytes: [UInt8], at offset: Int) -> I {
        var value: I = 0
        for index in 0..<MemoryLayout<I>.size { value |= I(bytes[offset + index]) << (8 * index) }
        return value
    }
}

/// Reads length-prefixed frames from a pipe, blocking.
struct FrameReader {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    /// Reused for every read: a fresh 64 KiB array per frame cost more than the frame.
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)

    init(fd: Int32) { self.fd = fd }

    /// The next frame's payload; nil at end of file or on a read error.
    mutating func next() -> [UInt8]? {
        while true {
            let available = buffer.count - start
            if available >= 4 {
                let length = Int(buffer[start]) | Int(buffer[start + 1]) << 8 | Int(buffer[start + 2]) << 16
                    | Int(buffer[start + 3]) << 24
                if available >= 4 + length {
                    let payload = Array(buffer[(start + 4)..<(start + 4 + length)])
                    start += 4 + length
                    if start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
                    return payload
                }
            }
            if start > 0 { buffer.removeFirst(start); start = 0 }
            guard fill() else { return nil }
        }
    }

    private mutating func fill() -> Bool {
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
                return true
            }
            if count < 0 && errno == EINTR { continue }
            return false
        }
    }
}

/// Writes a whole frame; false when the pipe is broken (the other side is gone).
func writeFrame(_ frame: [UInt8], to fd: Int32) -> Bool {
    frame.withUnsafeBytes { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
}

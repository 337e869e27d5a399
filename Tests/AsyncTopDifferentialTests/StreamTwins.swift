import AsyncTopRuntime
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The twin of streams.py.
enum StreamTwins {
    static func show(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\n", with: "\\n")
    }

    static func streams(_ log: EventLog) async throws {
        let server = try await startServer(host: "127.0.0.1", port: 0) { reader, writer in
            while true {
                let line = try await reader.readLine()
                if line.isEmpty {
                    log("server saw EOF")
                    break
                }
                log("server got \(show(line))")
                switch String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) {
                case "parts": try writer.write("abc--def")
                case "long": try writer.write(String(repeating: "x", count: 200) + "\n" + "after\n")
                case "slow":
                    try await ticks(2)
                    try writer.write("late\n")
                default: try writer.write(String(decoding: line, as: UTF8.self).uppercased())
                }
                try await writer.drain()
            }
            try writer.write("bye")
            try await writer.drain()
            writer.close()
        }
        let port = server.port!
        let (reader, writer) = try await openConnection(host: "127.0.0.1", port: port, limit: 100)
        try writer.write("hello\n")
        try await writer.drain()
        log("client got \(show(try await reader.readLine()))")
        try writer.write("parts\n")
        log("readexactly \(show(try await reader.readExactly(3)))")
        log("readuntil \(show(try await reader.readUntil(Array("--".utf8))))")
        log("read \(show(try await reader.read(100)))")
        try writer.write("long\n")
        do {
            _ = try await reader.readLine()
        } catch {
            log("readline over the limit raised \(spelling(of: error))")
        }
        log("then readline \(show(try await reader.readLine()))")
        try writer.write("slow\n")
        let waiting = try spawn { try await reader.readLine() }
        try await ticks(1)
        waiting.cancel()
        do {
            _ = try await waiting.value
        } catch {
            log("the waiting read raised \(spelling(of: error))")
        }
        log("the next readline \(show(try await reader.readLine()))")
        try writer.writeEOF()
        log("read to the end \(show(try await reader.read()))")
        log("at_eof \(spelling(of: reader.atEOF))")
        do {
            _ = try await reader.readExactly(5)
        } catch let error as IncompleteReadError {
            log("readexactly at the end raised \(spelling(of: error)) with '\(show(error.partial))'")
        }
        writer.close()
        try await writer.waitClosed()
        server.close()
        try await server.waitClosed()
        log("server closed")
        let bound = try BoundPort()
        defer { bound.close() }
        do {
            _ = try await openConnection(host: "127.0.0.1", port: bound.port)
            log("connected to a port with no listener")
        } catch {
            log("connecting to a port with no listener raised \(spelling(of: error))")
        }
    }
}

/// A TCP port on 127.0.0.1 bound and not listening: a connect to it is refused for sure (a
/// closed server's port may be taken again, or be the connect's own ephemeral port).
struct BoundPort {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        } }
        guard fd >= 0, bound else { throw IOError(errno: errno, doing: "bind a port") }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(fd) }
}

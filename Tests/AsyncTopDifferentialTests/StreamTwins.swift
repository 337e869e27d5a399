import AsyncTopRuntime

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
        do {
            _ = try await openConnection(host: "127.0.0.1", port: port)
            log("connected again")
        } catch {
            log("connecting again raised \(spelling(of: error))")
        }
    }
}

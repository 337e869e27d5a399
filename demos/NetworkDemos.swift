import AsyncTopRuntime
import Synchronization

extension DemoCatalogue {
    static let echoServer = Demo(
        name: "echo-server",
        summary: "an echo server on loopback and 20 clients sending it 50 lines each",
        expected: "20 clients, 1000 lines echoed",
        about: """
            A real TCP server on 127.0.0.1 (`startServer`) and 20 clients (`openConnection`) that each \
            send 50 lines, a line every 20 ms, and read each one back. In the dashboard the server's \
            task waits in "accept 127.0.0.1:<port>", each connection's handler "client <peer>" waits in \
            "readline" on its socket between lines, and the resources view lists every socket with its \
            bytes in and out and how long it has been idle.
            """
    ) { _ in
        let server = try await startServer(host: "127.0.0.1", port: 0) { reader, writer in
            while true {
                let line = try await reader.readLine()
                if line.isEmpty { break }
                try writer.write(line)
                try await writer.drain()
            }
            writer.close()
        }
        let port = server.port ?? 0
        let clients = try (1...20).map { n in
            try spawn(name: "client-\(n)") { () async throws -> Int in
                let (reader, writer) = try await openConnection(host: "127.0.0.1", port: port)
                defer { writer.close() }
                var echoed = 0
                for i in 1...50 {
                    let line = "client \(n) line \(i)\n"
                    try writer.write(line)
                    try await writer.drain()
                    if try await reader.readLine() == Array(line.utf8) { echoed += 1 }
                    try await pause(0.02)
                }
                return echoed
            }
        }
        let echoed = try await AsyncTopRuntime.gather(clients).reduce(0, +)
        server.close()
        try await server.waitClosed()
        return "\(clients.count) clients, \(echoed) lines echoed"
    }

    static let httpCrawler = Demo(
        name: "http-crawler",
        summary: "50 pages fetched over HTTP from a server on loopback, at most 5 at once",
        expected: "50 pages fetched over HTTP, at most 5 at once",
        about: """
            The semaphore crawler over a real network: the demo starts a small HTTP/1.0 server on \
            127.0.0.1 that takes 0.1 s to answer, and 50 fetches, at most 5 at a time behind a \
            `Semaphore`, each connect, send a GET, read the status line and headers with `readLine` \
            and the body with `readExactly(Content-Length)`. In the dashboard five fetches wait in \
            "readline 127.0.0.1:<port>" for the server's answer while the rest wait on "Semaphore \
            crawler"; the server's handlers sleep as they "compute" the page.
            """
    ) { _ in
        let server = try await startServer(host: "127.0.0.1", port: 0) { reader, writer in
            let request = String(decoding: try await reader.readLine(), as: UTF8.self)
            while true {
                let header = try await reader.readLine()
                if header.isEmpty || header == [0x0D, 0x0A] { break }
            }
            try await pause(0.1)
            let path = request.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
            let body = "<html><body>page \(path)</body></html>"
            try writer.write("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            try await writer.drain()
            writer.close()
        }
        let port = server.port ?? 0
        let limit = try Semaphore(5, name: "crawler")
        let inFlight = Mutex((now: 0, most: 0))
        let fetches = try (1...50).map { page in
            try spawn(name: "fetch-\(page)") { () async throws -> Bool in
                try await limit.withPermit {
                    inFlight.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
                    defer { inFlight.withLock { $0.now -= 1 } }
                    let (reader, writer) = try await openConnection(host: "127.0.0.1", port: port)
                    defer { writer.close() }
                    try writer.write("GET /page/\(page) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                    let status = String(decoding: try await reader.readLine(), as: UTF8.self)
                    var length = 0
                    while true {
                        let header = String(decoding: try await reader.readLine(), as: UTF8.self)
                        if header.isEmpty || header == "\r\n" { break }
                        if header.lowercased().hasPrefix("content-length:") {
                            length = Int(header.dropFirst("content-length:".count).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
                        }
                    }
                    let body = String(decoding: try await reader.readExactly(length), as: UTF8.self)
                    return status.hasPrefix("HTTP/1.0 200") && body.contains("page /page/\(page)<")
                }
            }
        }
        let fetched = try await AsyncTopRuntime.gather(fetches).filter { $0 }.count
        server.close()
        try await server.waitClosed()
        return "\(fetched) pages fetched over HTTP, at most \(inFlight.withLock { $0.most }) at once"
    }

    static let stuckPeer = Demo(
        name: "stuck-peer",
        summary: "a fetch waits for ever on a server that never answers; one with a time-out gives up",
        expected: "the read with a 2 s timeout gave up; the read without one waited until cancelled",
        lints: [.readWithoutTimeout],
        about: """
            The most common hang of networked code: a server that takes the request and never \
            answers. Two fetches ask it; in the dashboard you watch one give up and the other hang. "fetch with timeout" reads under `withTimeout(2)` and gives up; \
            "fetch without timeout" waits in "readline 127.0.0.1:<port>" for ever. After 10 s the \
            read-without-timeout lint names it; select it and press F9 (or c) to cancel it, or the demo \
            cancels it after 15 s. The server's handlers wait on an Event that is never set.
            """
    ) { _ in
        let never = Event(name: "an answer that never comes")
        let server = try await startServer(host: "127.0.0.1", port: 0) { reader, _ in
            _ = try await reader.readLine()
            try await never.wait()
        }
        let port = server.port ?? 0
        @Sendable func fetch() async throws -> [UInt8] {
            let (reader, writer) = try await openConnection(host: "127.0.0.1", port: port)
            defer { writer.close() }
            try writer.write("GET / HTTP/1.0\r\n\r\n")
            return try await reader.readLine()
        }
        let bounded = try spawn(name: "fetch with timeout") { () async throws -> String in
            do {
                _ = try await withTimeout(Demo.scaled(2), name: "read the status line") { try await fetch() }
                return "answered"
            } catch is TimeoutError {
                say("no answer within 2 s: gave up")
                return "gave up"
            }
        }
        let stuck = try spawn(name: "fetch without timeout") { () async throws -> Void in _ = try await fetch() }
        var waited = 0.0
        while !stuck.done && waited < 15 {
            try await pause(0.25)
            waited += 0.25
        }
        stuck.cancel(message: "stuck-peer demo: giving up after 15 s")
        let stuckEnd: String
        do {
            try await stuck.value
            stuckEnd = "got an answer"
        } catch is CancellationError {
            stuckEnd = "waited until cancelled"
        }
        say("the read without a timeout \(stuckEnd)")
        let boundedEnd = try await bounded.value
        server.closeClients()
        server.close()
        try await server.waitClosed()
        return "the read with a 2 s timeout \(boundedEnd); the read without one \(stuckEnd)"
    }
}

extension DemoCatalogue {
    static let subprocessPipeline = Demo(
        name: "subprocess-pipeline",
        summary: "seq | sort -nr with the loop pumping the pipe between them, and a sleep waited for",
        expected: "seq 1 20000 | sort -nr through the loop: 20000 lines, the first 20000; sleep exited with 0",
        about: """
            Child processes on the loop (`createSubprocessExec`): `seq 1 20000` and `sort -nr`, with a \
            task of the loop pumping seq's standard output into sort's standard input (`drain` waits \
            when sort's pipe is full), another reading sort's output, and a `sleep` the demo waits for. \
            In the dashboard the pump waits in "read pid <n> (seq) stdout" or "drain pid <n> (sort) \
            stdin", and the waiter in "wait pid <n> (sleep)": the child's exit comes through the \
            loop's epoll (a pidfd), never by polling.
            """
    ) { _ in
        let producer = try await createSubprocessExec("seq", ["1", "20000"], stdout: .pipe)
        let sorter = try await createSubprocessExec("sort", ["-n", "-r"], stdin: .pipe, stdout: .pipe)
        let pump = try spawn(name: "pump seq → sort") { () async throws -> Void in
            guard let from = producer.stdout, let to = sorter.stdin else { return }
            while true {
                let chunk = try await from.read(4096)
                if chunk.isEmpty { break }
                try to.write(chunk)
                try await to.drain()
            }
            to.close()
        }
        let collect = try spawn(name: "read sort") { () async throws -> [UInt8] in
            try await sorter.stdout?.read() ?? []
        }
        let sleeper = try await createSubprocessExec("sleep", [String(Demo.scaled(0.5))])
        let slept = try spawn(name: "wait for sleep") { try await sleeper.wait() }
        try await pump.value
        let sorted = String(decoding: try await collect.value, as: UTF8.self).split(separator: "\n")
        _ = try await producer.wait()
        _ = try await sorter.wait()
        let status = try await slept.value
        return "seq 1 20000 | sort -nr through the loop: \(sorted.count) lines, the first \(sorted.first ?? "none"); "
            + "sleep exited with \(status)"
    }
}

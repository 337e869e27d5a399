import AsyncTopRuntime
import Foundation
import Synchronization

/// The I/O workloads, on the loop only (Swift's global executor has no reactor):
/// `echo` (also in scripts/asyncio_workloads.py) and `idle_connections`.
enum IOWorkloads {
    /// An echo server on 127.0.0.1 (port 0) and `conns` client connections opened before the
    /// clock starts. Timed: `conns` client tasks, gathered, share N round trips: each sends
    /// its `size`-byte message, drains, reads the reply with `readExactly(size)` and checks
    /// it is the message. Then (untimed) the clients close, every handler sees its end of
    /// stream, and the server is closed and waited for. OPS = N round trips.
    static func echo(n: Int, conns: Int, size: Int) async throws -> Measured {
        precondition(conns > 0 && size > 0, "echo: --conns and --size must be positive")
        let eofs = Atomic<Int>(0)
        let server = try await startServer(host: "127.0.0.1", port: 0) { reader, writer in
            while true {
                let data = try await reader.read(65536)
                if data.isEmpty { break }
                try writer.write(data)
                try await writer.drain()
            }
            eofs.add(1, ordering: .relaxed)
            writer.close()
        }
        let port = server.port!
        var clients: [(StreamReader, StreamWriter)] = []
        for _ in 0..<conns { clients.append(try await openConnection(host: "127.0.0.1", port: port)) }

        let start = now()
        let tasks = try clients.enumerated().map { c, client in
            let share = n / conns + (c < n % conns ? 1 : 0)
            let message = (0..<size).map { UInt8(truncatingIfNeeded: c &+ $0) }
            return try spawn { () async throws -> Int in
                let (reader, writer) = client
                for _ in 0..<share {
                    try writer.write(message)
                    try await writer.drain()
                    let reply = try await reader.readExactly(size)
                    precondition(reply == message, "echo: the reply is not the message")
                }
                return share
            }
        }
        var done = 0
        for task in tasks { done += try await task.value }
        let seconds = now() - start
        precondition(done == n, "echo: \(done) round trips")

        for (_, writer) in clients { writer.close() }
        for (_, writer) in clients { try await writer.waitClosed() }
        while eofs.load(ordering: .relaxed) < conns { try await sleep(0.001) }
        clients = []
        server.close()
        try await server.waitClosed()
        return Measured(seconds: seconds, ops: n, extras: [
            "conns": Double(conns), "size": Double(size), "us_per_roundtrip": seconds / Double(n) * 1e6,
            "mib_per_s": Double(n) * Double(size) * 2 / seconds / 1_048_576,
        ])
    }

    /// N idle TCP connections on loopback (both ends on this loop: N client streams and N
    /// server handlers waiting in `read`), then ~3 s of idling: the process's CPU time
    /// (user + system, all threads) over that wall time. RLIMIT_NOFILE's soft limit is
    /// raised to the hard one first (and the hard one too, when it is short and may be).
    /// ops = N; seconds is the time to open them.
    static func idleConnections(n: Int, idleSeconds: Double = 3) async throws -> Measured {
        let needed = rlim_t(2 * n + 256)
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_max < needed {
            var raised = rlimit(rlim_cur: needed, rlim_max: needed)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        precondition(limit.rlim_cur >= needed,
                     "idle_connections: \(n) connections need \(needed) descriptors, the limit is \(limit.rlim_cur)")

        let eofs = Atomic<Int>(0)
        let accepted = Atomic<Int>(0)
        let server = try await startServer(host: "127.0.0.1", port: 0, backlog: 1024) { reader, writer in
            accepted.add(1, ordering: .relaxed)
            while try await !reader.read(65536).isEmpty {}
            eofs.add(1, ordering: .relaxed)
            writer.close()
        }
        let port = server.port!
        let openStart = now()
        var clients: [(StreamReader, StreamWriter)] = []
        clients.reserveCapacity(n)
        for _ in 0..<n { clients.append(try await openConnection(host: "127.0.0.1", port: port)) }
        while accepted.load(ordering: .relaxed) < n { try await sleep(0.001) }
        let openSeconds = now() - openStart
        // Let the last accepts and handler starts settle before measuring.
        try await sleep(0.2)

        let cpu0 = processCPUSeconds()
        let wall0 = now()
        try await sleep(idleSeconds)
        let wall = now() - wall0
        let cpu = processCPUSeconds() - cpu0

        for (_, writer) in clients { writer.close() }
        for (_, writer) in clients { try await writer.waitClosed() }
        while eofs.load(ordering: .relaxed) < n { try await sleep(0.001) }
        clients = []
        server.close()
        try await server.waitClosed()
        return Measured(seconds: openSeconds, ops: n, extras: [
            "idle_wall_s": wall, "idle_cpu_s": cpu, "idle_cpu_percent": cpu / wall * 100,
            "open_us_per_conn": openSeconds / Double(n) * 1e6,
        ])
    }

    /// User plus system CPU time of the whole process.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

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

    /// The environment variable that makes this program the far end of idle_connections.
    static let idlePeerVariable = "ASYNCTOP_BENCH_IDLE_PEER"

    /// N idle TCP connections on loopback, accepted by a server of the loop (N handler tasks
    /// waiting in `read`), then ~3 s of idling: the process's CPU time (user + system, all
    /// threads) over that wall time. The far ends are a second process (this program,
    /// `idlePeerVariable` set: blocking sockets, no loop), so that the loop's process holds
    /// N descriptors, not 2N (the hard RLIMIT_NOFILE here is 20,000). Both raise their soft
    /// RLIMIT_NOFILE to the hard one. ops = N; seconds is the time to open them.
    static func idleConnections(n: Int, idleSeconds: Double = 3) async throws -> Measured {
        raiseDescriptorLimit(needed: n + 256)
        let eofs = Atomic<Int>(0)
        let accepted = Atomic<Int>(0)
        let server = try await startServer(host: "127.0.0.1", port: 0, backlog: 1024) { reader, writer in
            accepted.add(1, ordering: .relaxed)
            while try await !reader.read(65536).isEmpty {}
            eofs.add(1, ordering: .relaxed)
            writer.close()
        }
        let openStart = now()
        let peer = Process()
        peer.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        peer.arguments = ["idle-peer"]
        var environment = ProcessInfo.processInfo.environment
        environment[idlePeerVariable] = "\(server.port!),\(n)"
        peer.environment = environment
        let hold = Pipe()
        peer.standardInput = hold
        try peer.run()
        while accepted.load(ordering: .relaxed) < n {
            precondition(peer.isRunning, "idle_connections: the peer process ended early")
            try await sleep(0.001)
        }
        let openSeconds = now() - openStart
        // Let the last accepts and handler starts settle before measuring.
        try await sleep(0.2)

        let cpu0 = processCPUSeconds()
        let wall0 = now()
        try await sleep(idleSeconds)
        let wall = now() - wall0
        let cpu = processCPUSeconds() - cpu0

        try hold.fileHandleForWriting.close()
        while eofs.load(ordering: .relaxed) < n { try await sleep(0.001) }
        server.close()
        try await server.waitClosed()
        try await toThread { peer.waitUntilExit() }
        return Measured(seconds: openSeconds, ops: n, extras: [
            "idle_wall_s": wall, "idle_cpu_s": cpu, "idle_cpu_percent": cpu / wall * 100,
            "open_us_per_conn": openSeconds / Double(n) * 1e6,
        ])
    }

    /// Raises the soft RLIMIT_NOFILE to the hard one; stops the program when that is short.
    static func raiseDescriptorLimit(needed: Int) {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        precondition(limit.rlim_cur >= rlim_t(needed),
                     "idle_connections: \(needed) descriptors needed, the limit is \(limit.rlim_cur)")
    }

    /// The far ends of idle_connections, when `idlePeerVariable` says "port,count": connects
    /// that many blocking sockets to 127.0.0.1:port, then holds them until standard input
    /// ends, and exits.
    static func runIdlePeerIfRequested() {
        guard let spec = ProcessInfo.processInfo.environment[idlePeerVariable] else { return }
        let parts = spec.split(separator: ",").compactMap { Int($0) }
        guard parts.count == 2 else { fatalError("\(idlePeerVariable): expected port,count, got \(spec)") }
        let (port, count) = (parts[0], parts[1])
        raiseDescriptorLimit(needed: count + 64)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var sockets: [Int32] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            precondition(fd >= 0, "idle peer: socket: errno \(errno)")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            precondition(connected == 0, "idle peer: connect: errno \(errno)")
            sockets.append(fd)
        }
        var byte: UInt8 = 0
        while read(0, &byte, 1) > 0 {}
        for fd in sockets { close(fd) }
        exit(0)
    }

    /// User plus system CPU time of the whole process.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

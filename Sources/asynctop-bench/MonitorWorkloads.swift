import AsyncTopClient
import AsyncTopModel
import AsyncTopRuntime
import Foundation

/// The monitor's costs: streaming to an attached client, and seeking in a recording.
enum MonitorWorkloads {
    /// `monitor_stream`: N parked tasks and one task yielding in a loop; its yields per
    /// second are measured with no client, then, from a second after the first full
    /// snapshot reached the client, alternately with the client paused and with it
    /// streaming at 10 Hz (reading every line and applying every delta, on a thread of
    /// this process), a second each, five times; medians compared.
    /// Reports the slowdown of the loop (the target is ≤ 10 %), and apart, the one-off cost
    /// of a full snapshot on the wire.
    static func stream(n: Int) async throws -> Measured {
        let loop = EventLoop(name: "bench")
        let running = Task.detached { try await loop.runForever() }
        defer { loop.stop(); _ = running }
        let event = Event(name: "never")
        for i in 0..<n { try loop.spawn(name: i % 1000 == 0 ? "parked \(i)" : nil) { try await event.wait() } }
        let counter = YieldCounter()
        try loop.spawn(name: "spinner") {
            while true {
                await Task.yield()
                counter.add()
            }
        }
        func rate(seconds: Double) -> Double {
            let c0 = counter.value, t0 = now()
            Thread.sleep(forTimeInterval: seconds)
            return Double(counter.value - c0) / (now() - t0)
        }
        _ = rate(seconds: 0.5)
        let first = rate(seconds: 1)

        let path = "/tmp/asynctop-bench-\(getpid()).sock"
        let server = try loop.startMonitor(MonitorConfiguration(path: path, interval: 0.1))
        defer { server.stop() }
        let connection = try MonitorConnection(path: path)
        let reader = ClientReader(connection: connection)
        let firstFull = reader.start()
        usleep(1_000_000)
        // Alternate: the client paused (the server then leaves the loop alone) and streaming,
        // a second each, five times, so that the machine's drift hits both alike.
        var alones: [Double] = [first], attacheds: [Double] = []
        let deltasBefore = reader.deltas
        for _ in 0..<5 {
            connection.send(.pause(id: nil))
            usleep(300_000)
            alones.append(rate(seconds: 1))
            connection.send(.resume(id: nil))
            usleep(300_000)
            attacheds.append(rate(seconds: 1))
        }
        let deltasDuring = reader.deltas - deltasBefore
        reader.stop()
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let attached = median(attacheds)
        let alone = median(alones)
        let slowdown = max(0, 1 - attached / alone)
        // The one-off cost of a full snapshot on the wire, apart: protocol 2's binary delta
        // beside protocol 1's JSON (still what recordings hold), on the same snapshot.
        let full = SnapshotDelta.full(loop.snapshot())
        let e0 = now()
        let binary = DeltaCodec.encode(full, base: nil)
        let encodeSeconds = now() - e0
        let d0 = now()
        var decoder = DeltaDecoder()
        _ = try decoder.decode(binary)
        let decodeSeconds = now() - d0
        let j0 = now()
        let line = WireCodec.line(ServerMessage.delta(.init(dropped: 0, delta: full)))
        let jsonEncodeSeconds = now() - j0
        let j1 = now()
        _ = WireCodec.decodeServer(line.dropLast())
        let jsonDecodeSeconds = now() - j1
        return Measured(seconds: 6, ops: n, extras: [
            "yields_per_s_alone": alone, "yields_per_s_attached": attached, "slowdown": slowdown,
            "slowdown_worst_pair": zip(alones.dropFirst(), attacheds).map { max(0, 1 - $1 / $0) }.max() ?? 0,
            "first_full_s": firstFull, "deltas_while_measured": Double(deltasDuring), "tasks_seen": Double(reader.tasks),
            "full_mb": Double(binary.count) / 1e6, "full_encode_s": encodeSeconds, "full_decode_s": decodeSeconds,
            "json_full_mb": Double(line.count) / 1e6, "json_encode_s": jsonEncodeSeconds, "json_decode_s": jsonDecodeSeconds,
            "target_first_full_s": 0.25,
            "target_slowdown": 0.10,
        ])
    }

    /// `monitor_delta`: N parked tasks, N/100 of them waking every 0.1 s (1 % changing a
    /// tick); for ten seconds, what the monitor's publisher does at 10 Hz — a delta from the
    /// loop, encoded for a client that holds the previous picture — timed and weighed:
    /// bytes per changed task in the binary form (protocol 2) and in JSON (protocol 1), and
    /// the share of a core the loop's thread spends building the deltas.
    static func steadyDeltas(n: Int) async throws -> Measured {
        let loop = EventLoop(name: "bench")
        let running = Task.detached { try await loop.runForever() }
        defer { loop.stop(); _ = running }
        let event = Event(name: "never")
        let tickers = max(n / 100, 1)
        for i in 0..<(n - tickers) { try loop.spawn(name: i % 1000 == 0 ? "parked \(i)" : nil) { try await event.wait() } }
        for i in 0..<tickers {
            try loop.spawn(name: "ticker \(i)") {
                while true { try await sleep(0.1) }
            }
        }
        usleep(500_000)
        var current = Snapshot().applying(loop.delta(since: 0))
        var version = current.version
        var binaryBytes = 0, jsonBytes = 0, changed = 0, jsonChanged = 0, ticks = 0
        var catchUpBytes = 0, catchUpChanged = 0
        var encoding = 0.0
        func loopCPU() async throws -> Double { try await loop.spawn(name: "cpu probe") { threadCPUSeconds() }.value }
        // Alternate seconds without a client and with one (deltas at 10 Hz), five each, so
        // that the loop thread's extra CPU is what the deltas cost it.
        var quietCPU = 0.0, streamingCPU = 0.0
        for _ in 0..<5 {
            let q0 = try await loopCPU()
            usleep(1_000_000)
            quietCPU += try await loopCPU() - q0
            let s0 = try await loopCPU()
            let start = now()
            var next = start
            var first = true
            while now() - start < 1 {
                next += 0.1
                let wait = next - now()
                if wait > 0 { usleep(UInt32(wait * 1e6)) }
                let delta = loop.delta(since: version, timeout: 1)
                let t1 = now()
                let bytes = DeltaCodec.encode(delta, base: current)
                encoding += now() - t1
                // The first delta of a second covers the quiet second before it: weighed apart.
                if first {
                    catchUpBytes += bytes.count
                    catchUpChanged += delta.changed.count
                    first = false
                } else {
                    binaryBytes += bytes.count
                    changed += delta.changed.count
                }
                // Protocol 1's JSON of the same delta, weighed on every tenth tick (it takes
                // long enough to make the ticks late otherwise).
                if ticks % 10 == 0 {
                    jsonBytes += WireCodec.line(ServerMessage.delta(.init(dropped: 0, delta: delta))).count
                    jsonChanged += delta.changed.count
                }
                ticks += 1
                version = delta.toVersion
                current = current.applying(delta)
            }
            streamingCPU += try await loopCPU() - s0
        }
        return Measured(seconds: 10, ops: changed, extras: [
            "ticks": Double(ticks), "changed_per_tick": Double(changed) / Double(max(ticks - 5, 1)),
            "bytes_per_changed_task": Double(binaryBytes) / Double(max(changed, 1)),
            "catch_up_bytes_per_changed_task": Double(catchUpBytes) / Double(max(catchUpChanged, 1)),
            "json_bytes_per_changed_task": Double(jsonBytes) / Double(max(jsonChanged, 1)),
            "loop_cpu_quiet": quietCPU / 5, "loop_cpu_streaming": streamingCPU / 5,
            "loop_thread_share": max(0, streamingCPU - quietCPU) / 5, "encode_ms_per_tick": encoding / Double(ticks) * 1e3,
            "target_bytes_per_changed_task": 60, "target_loop_thread_share": 0.05,
        ])
    }

    /// `replay_seek`: records a stress run of N seconds (about a thousand live tasks, a
    /// hundred spawned and finished every tenth of a second) at 10 Hz, loads it, and seeks
    /// to 200 random frames. Reports the time per jump; the target is < 100 ms.
    static func seek(n: Int) async throws -> Measured {
        let path = "/tmp/asynctop-bench-\(getpid()).ndjson"
        defer { unlink(path) }
        let loop = EventLoop(name: "stress", retention: RetentionPolicy(maxFinished: 2000, maxAge: 5))
        let running = Task.detached { try await loop.runForever() }
        let event = Event(name: "never")
        for i in 0..<1000 { try loop.spawn(name: "live \(i)") { try await event.wait() } }
        try loop.spawn(name: "churn") {
            var round = 0
            while true {
                for i in 0..<100 { _ = try spawn(name: "short \(round).\(i)") { try await sleep(Double(i % 10) * 0.05) } }
                round += 1
                try await sleep(0.1)
            }
        }
        let recorder = try Recorder(path: path)
        let hello = ServerMessage.Hello(pid: getpid(), program: "bench", loopName: loop.name, epoch: 0, interval: 0.1)
        let start = now()
        while now() - start < Double(n) {
            recorder.record(snapshot: loop.snapshot(), hello: hello)
            usleep(100_000)
        }
        recorder.close()
        loop.stop()
        _ = running
        let t0 = now()
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let recording = Recording(bytes: [UInt8](data))
        let loadSeconds = now() - t0
        var generator = SystemRandomNumberGenerator()
        var times: [Double] = []
        var check = 0
        for _ in 0..<200 {
            let target = Double.random(in: 0...recording.duration, using: &generator)
            let t = now()
            let snapshot = recording.snapshot(at: recording.frame(atOrBefore: target))
            times.append(now() - t)
            check &+= snapshot.tasks.count
        }
        precondition(check > 0)
        times.sort()
        return Measured(seconds: times.reduce(0, +), ops: times.count, extras: [
            "frames": Double(recording.frameCount), "file_mb": Double(data.count) / 1e6, "load_s": loadSeconds,
            "seek_ms_median": times[times.count / 2] * 1e3, "seek_ms_p99": times[times.count * 99 / 100] * 1e3,
            "seek_ms_max": times.last! * 1e3, "target_ms": 100,
        ])
    }
}

/// Counts from the loop thread, read from another.
final class YieldCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// A client thread reading a monitor stream and applying every delta, as `attach` does.
final class ClientReader: @unchecked Sendable {
    let connection: MonitorConnection
    private let lock = NSLock()
    private var stopped = false
    private(set) var deltas = 0
    private(set) var tasks = 0
    private var readyAt = 0.0

    init(connection: MonitorConnection) { self.connection = connection }

    /// Starts reading; returns once the first full delta was applied, with how long it took.
    func start() -> Double {
        let ready = DispatchSemaphore(value: 0)
        let t0 = now()
        Thread { [self] in
            var snapshot = Snapshot()
            while !lock.withLock({ stopped }) {
                guard let message = try? connection.next(timeout: 0.2) else { continue }
                if case .delta(let update) = message {
                    snapshot = snapshot.applying(update.delta)
                    lock.withLock {
                        deltas += 1
                        tasks = snapshot.tasks.count
                    }
                    if deltas == 1 {
                        lock.withLock { readyAt = now() - t0 }
                        ready.signal()
                    }
                }
            }
        }.start()
        ready.wait()
        return lock.withLock { readyAt }
    }

    func stop() { lock.withLock { stopped = true } }
}

import AsyncTopModel
import Foundation
import Synchronization

/// `ASYNCTOP_SOCKET` and `ASYNCTOP_RECORD` for every loop of a program, however it runs it
/// (`EventLoop.run`, or `EventLoop(name:)` with `runUntilComplete` or `runForever`).
///
/// One socket (and one recording) per process: the first loop that starts serves it.
/// `ASYNCTOP_RECORD` alone records the first loop without serving it.
enum EnvironmentMonitor {
    private static let claimed = Mutex(false)

    /// Takes the process's one environment monitor; false when a loop already has it.
    static func claim() -> Bool {
        claimed.withLock { taken in
            if taken { return false }
            taken = true
            return true
        }
    }

    /// Called each time a loop starts running: serves the first one if the environment asks.
    static func loopStarted(_ loop: EventLoop) {
        // Cheap when the variables are unset, as in almost every run.
        guard getenv(WireProtocol.socketEnvironmentVariable) != nil || getenv(WireProtocol.recordEnvironmentVariable) != nil,
              !claimed.withLock({ $0 }) else { return }
        if let configuration = MonitorConfiguration.fromEnvironment() {
            _ = try? loop.startMonitorIfAsked(configuration)
        } else if let path = ProcessInfo.processInfo.environment[WireProtocol.recordEnvironmentVariable], !path.isEmpty, claim() {
            do {
                try EnvironmentRecording.start(loop: loop, path: path)
            } catch {
                FileHandle.standardError.write(Data("asynctop: \(error); running without a recording\n".utf8))
            }
        }
    }
}

/// The process's socket for every loop: the first monitor started with
/// ``MonitorConfiguration/everyLoop`` (the environment's, or `EventLoop.run`'s) serves the
/// loops running then and every loop that starts later, beside its own.
enum ProcessMonitor {
    private final class WeakLoop: Sendable {
        weak let loop: EventLoop?
        init(_ loop: EventLoop) { self.loop = loop }
    }

    private struct State {
        var server: MonitorServer?
        /// Loops that started, held weakly: the ones open are served when a socket starts.
        var started: [WeakLoop] = []
        /// Sources served beside the loops for as long as the process lives (the global
        /// executor's, once ``GlobalExecutorMonitor/install(restart:)`` ran).
        var sources: [any MonitorSource] = []
    }

    private static let state = Mutex(State())

    /// Called each time a loop starts running: it joins the process's socket, if any.
    static func loopStarted(_ loop: EventLoop) {
        let server: MonitorServer? = state.withLock { state in
            state.started.removeAll { $0.loop.map(\.isClosed) ?? true }
            if !state.started.contains(where: { $0.loop === loop }) { state.started.append(WeakLoop(loop)) }
            if let server = state.server, server.isServing { return server }
            state.server = nil
            return nil
        }
        server?.serve(loop)
    }

    /// Makes `server` the process's socket, when there is none, and serves on it every loop
    /// open now.
    /// Either way, it serves the process's sources (the global executor's) beside its loops.
    /// - Returns: whether it is the process's socket now.
    @discardableResult
    static func adopt(_ server: MonitorServer) -> Bool {
        let (adopted, loops, sources): (Bool, [EventLoop], [any MonitorSource]) = state.withLock { state in
            if let current = state.server, current.isServing { return (false, [], state.sources) }
            state.server = server
            return (true, state.started.compactMap(\.loop).filter { !$0.isClosed }, state.sources)
        }
        for source in sources { server.add(source: source) }
        for loop in loops { server.serve(loop) }
        return adopted
    }

    /// Serves `source` on the process's socket, now if there is one, else once one starts
    /// (and on every later socket that serves every loop).
    static func add(_ source: any MonitorSource) {
        let server: MonitorServer? = state.withLock { state in
            state.sources.append(source)
            return state.server.flatMap { $0.isServing ? $0 : nil }
        }
        server?.add(source: source)
    }

    /// The process's socket, when one serves.
    static var server: MonitorServer? { state.withLock { $0.server.flatMap { $0.isServing ? $0 : nil } } }
}

/// A recording of a loop without a socket: `ASYNCTOP_RECORD` alone. A snapshot every 0.1 s
/// until the loop closes, each line whole as it comes.
enum EnvironmentRecording {
    static func start(loop: EventLoop, path: String, interval: Double = 0.1) throws {
        let recorder = try Recorder(path: path)
        let hello = ServerMessage.Hello(
            pid: getpid(), program: CommandLine.arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "program",
            loopName: loop.name, epoch: loop.epoch, interval: interval)
        let thread = Thread {
            recorder.record(.hello(hello))
            var held = Snapshot(epoch: hello.epoch, loopName: loop.name)
            while !loop.isClosed {
                loop.sampleStacks()
                let (delta, current) = loop.published(after: held, maxAge: interval * 0.9)
                recorder.record(.delta(.init(dropped: 0, delta: delta)))
                held = current
                Thread.sleep(forTimeInterval: interval)
            }
            recorder.close()
        }
        thread.name = "asynctop-record"
        thread.start()
    }
}

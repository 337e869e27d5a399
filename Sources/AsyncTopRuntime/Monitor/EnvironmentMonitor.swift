import AsyncTopModel
import Foundation
import Synchronization

/// `ASYNCTOP_SOCKET` and `ASYNCTOP_RECORD` for every loop of a program, however it runs it
/// (`EventLoop.run`, or `EventLoop(name:)` with `runUntilComplete` or `runForever`).
///
/// One socket (and one recording) per process: the first loop that starts serves it, for
/// as long as that loop lives; later loops run without. `ASYNCTOP_RECORD` alone records
/// the first loop without serving it.
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

/// A recording of a loop without a socket: `ASYNCTOP_RECORD` alone. A snapshot every 0.1 s
/// until the loop closes, each line whole as it comes.
enum EnvironmentRecording {
    static func start(loop: EventLoop, path: String, interval: Double = 0.1) throws {
        let recorder = try Recorder(path: path)
        let hello = ServerMessage.Hello(
            pid: getpid(), program: CommandLine.arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "program",
            loopName: loop.name, epoch: loop.snapshot(timeout: 0.05).epoch, interval: interval)
        let thread = Thread {
            while !loop.isClosed {
                loop.sampleStacks()
                recorder.record(snapshot: loop.snapshot(timeout: 0.25), hello: hello)
                Thread.sleep(forTimeInterval: interval)
            }
            recorder.close()
        }
        thread.name = "asynctop-record"
        thread.start()
    }
}

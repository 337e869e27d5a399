import AsyncTopModel
import AsyncTopRuntime
import Foundation
import Synchronization

/// Records a loop of this process ten times a second until stopped: `--record` on the
/// dashboard. Each line is written whole as it comes, so the file is readable after
/// Ctrl-C or SIGTERM too.
final class LoopRecording: Sendable {
    private let stopped = Mutex(false)
    private let done = DispatchSemaphore(value: 0)

    init(loop: EventLoop, path: String, interval: Double = 0.1) throws {
        let recorder = try Recorder(path: path)
        let hello = ServerMessage.Hello(pid: getpid(), program: "asynctop", loopName: loop.name, epoch: loop.epoch,
                                        interval: interval)
        let thread = Thread { [self] in
            recorder.record(.hello(hello))
            var held = Snapshot(epoch: hello.epoch, loopName: loop.name)
            while !stopped.withLock({ $0 }) && !loop.isClosed {
                loop.sampleStacks()
                // The loop's shared picture, as the dashboard shows it: what changed since
                // the last line.
                let (delta, current) = loop.published(after: held, maxAge: interval * 0.9)
                recorder.record(.delta(.init(dropped: 0, delta: delta)))
                held = current
                Thread.sleep(forTimeInterval: interval)
            }
            recorder.close()
            done.signal()
        }
        thread.name = "asynctop-record"
        thread.start()
    }

    func stop() {
        stopped.withLock { $0 = true }
        _ = done.wait(timeout: .now() + 1)
    }
}

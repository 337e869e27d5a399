import AsyncTopClient
import AsyncTopModel
import Foundation
import Synchronization
import Testing
import TmuxTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// What an attached dashboard's cancel answers is the monitored program's own answer:
/// requested, not found, already finished, not cancellable; not connected when nothing
/// could be sent, no answer when the program does not reply.
@Suite(.offCooperativePool, .serialized, .enabled(if: BuiltBinary.monitorFixture != nil, "fixture not built"))
struct RemoteCancelTests {
    /// Waits up to 20 s for `condition` on the remote's snapshot.
    func wait(_ remote: RemoteLoop, until condition: (Snapshot) -> Bool) -> Snapshot {
        let deadline = Date().addingTimeInterval(20)
        var snapshot = remote.snapshot
        while Date() < deadline, !condition(snapshot) {
            Thread.sleep(forTimeInterval: 0.05)
            snapshot = remote.snapshot
        }
        return snapshot
    }

    /// Cancels and waits for the answer (well past the time-out). The default time-out is
    /// generous: a sanitized program beside a fuzzing one can take seconds to answer, and
    /// these tests are about which answer comes, not how soon (`noAnswerAndNotConnected`
    /// sets its own).
    func cancel(_ remote: RemoteLoop, _ task: TaskID, timeout: Double = 15) -> (answer: CancelAnswer?, seconds: Double) {
        let answers = Mutex<[CancelAnswer]>([])
        let done = DispatchSemaphore(value: 0)
        let start = Date()
        remote.cancel(task: task, message: "from the test", timeout: timeout) { answer in
            answers.withLock { $0.append(answer) }
            done.signal()
        }
        _ = done.wait(timeout: .now() + timeout + 15)
        let seconds = Date().timeIntervalSince(start)
        Thread.sleep(forTimeInterval: 0.1)
        let all = answers.withLock { $0 }
        #expect(all.count <= 1, "answered once: \(all)")
        return (all.first, seconds)
    }

    @Test func eachAnswerIsTheProgramsOwn() throws {
        let child = try FixtureProcess()
        let remote = RemoteLoop(path: child.socket)
        defer { remote.stop() }
        let snapshot = wait(remote) { s in s.tasks.contains { $0.name == "sleeper-2" } && s.tasks.contains { $0.origin == .asyncLet } }
        let sleeper = try #require(snapshot.tasks.first { $0.name == "sleeper-2" })
        let native = try #require(snapshot.tasks.first { $0.origin == .asyncLet })

        #expect(cancel(remote, sleeper.id).answer == .requested)
        let after = wait(remote) { $0.task(sleeper.id)?.state.isFinished == true }
        #expect(after.task(sleeper.id)?.state == .cancelled(message: "from the test"))
        #expect(cancel(remote, sleeper.id).answer == .alreadyFinished)
        #expect(cancel(remote, native.id).answer == .notCancellable)
        #expect(cancel(remote, 999_999_999).answer == .notFound)
        #expect(cancel(remote, 0).answer == .notFound)
        #expect(remote.hello?.demos == [], "this program offers no demos to launch")
    }

    /// A program that does not answer (stopped with SIGSTOP): `noAnswer` after the time-out,
    /// once; and `notConnected`, without waiting, where there is no program.
    @Test func noAnswerAndNotConnected() throws {
        let child = try FixtureProcess()
        let remote = RemoteLoop(path: child.socket)
        defer { remote.stop() }
        let snapshot = wait(remote) { s in s.tasks.contains { $0.name == "sleeper-3" } }
        let sleeper = try #require(snapshot.tasks.first { $0.name == "sleeper-3" })
        kill(child.pid, SIGSTOP)
        #expect(Self.waitUntilStopped(child.pid), "every thread of the program stopped")
        let silent = cancel(remote, sleeper.id, timeout: 1)
        kill(child.pid, SIGCONT)
        #expect(silent.answer == .noAnswer)
        #expect(silent.seconds >= 0.9, "not before the time-out: \(silent.seconds) s")
        // The request still reached the program: it cancelled the task when it woke.
        let later = wait(remote) { $0.task(sleeper.id)?.state.isFinished == true }
        #expect(later.task(sleeper.id)?.state.kind == .cancelled)

        let nowhere = RemoteLoop(path: child.directory + "/missing.sock")
        defer { nowhere.stop() }
        let unsent = cancel(nowhere, 5)
        #expect(unsent.answer == .notConnected)
        #expect(unsent.seconds < 1.5, "answered at once: \(unsent.seconds) s")
        // And once the program is gone, the same.
        child.stop(signal: SIGKILL)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, case .connected = remote.status { Thread.sleep(forTimeInterval: 0.05) }
        #expect(cancel(remote, sleeper.id).answer == .notConnected)
    }

    /// Waits until every thread of `pid` is stopped (a SIGSTOP takes effect asynchronously).
    static func waitUntilStopped(_ pid: pid_t) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            let states = threads.compactMap { thread -> Character? in
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { return nil }
                return stat[stat.index(close, offsetBy: 2)]
            }
            if !states.isEmpty && states.allSatisfy({ $0 == "T" || $0 == "t" }) { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return false
    }

    @Test func launchOfferedOnlyWhenTheProgramOffersDemos() throws {
        let child = try FixtureProcess(extra: ["--allow-launch"])
        let remote = RemoteLoop(path: child.socket)
        defer { remote.stop() }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, remote.hello == nil { Thread.sleep(forTimeInterval: 0.05) }
        #expect(remote.hello?.demos == ["burst"])
        let answer = Mutex<RemoteLoop.Answer?>(nil)
        let done = DispatchSemaphore(value: 0)
        remote.request({ .launch(id: $0, demo: "burst") }) { reply in
            answer.withLock { $0 = reply }
            done.signal()
        }
        _ = done.wait(timeout: .now() + 15)
        #expect(answer.withLock { $0 } == .reply("launched"))
    }
}

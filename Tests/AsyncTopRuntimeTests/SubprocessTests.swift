import AsyncTopModel
import Foundation
import Glibc
import Testing
@testable import AsyncTopRuntime

/// Child processes on the loop with real programs: pipes both ways, exit codes and
/// signals, what a waiting task shows, cancellation, reaping, and the errors of bad input.
@Suite struct SubprocessTests {
    static func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    /// Whether `pid` names a process (a zombie counts): false once it was reaped.
    static func exists(_ pid: Int32) -> Bool { Glibc.kill(pid, 0) == 0 || errno != ESRCH }

    @Test func communicateSendsInputThroughCat() async throws {
        try await onLoop {
            let cat = try await createSubprocessExec("cat", stdin: .pipe, stdout: .pipe, stderr: .pipe)
            let (out, err) = try await cat.communicate(input: Array("hello\nworld\n".utf8))
            #expect(Self.text(out) == "hello\nworld\n")
            #expect(err == [])
            #expect(cat.returncode == 0)
            #expect(cat.name == "pid \(cat.pid) (cat)")
        }
    }

    @Test func exitCodesAndOutputThatIsNotAPipe() async throws {
        try await onLoop {
            let three = try await createSubprocessExec("/bin/sh", ["-c", "exit 3"])
            #expect(three.stdin == nil && three.stdout == nil && three.stderr == nil)
            #expect(try await three.wait() == 3)
            #expect(three.returncode == 3)
            // wait() again returns the same at once.
            #expect(try await three.wait() == 3)
            let no = try await createSubprocessExec("false", stdout: .devNull)
            let (out, err) = try await no.communicate()
            #expect(out == nil && err == nil)
            #expect(no.returncode == 1)
            let shell = try await createSubprocessShell("echo $((6 * 7))", stdout: .pipe)
            #expect(Self.text(try await shell.stdout?.read()) == "42\n")
            #expect(try await shell.wait() == 0)
        }
    }

    @Test func aChildKilledByASignalReturnsMinusTheSignal() async throws {
        try await onLoop {
            let sleeper = try await createSubprocessExec("sleep", ["30"])
            #expect(sleeper.returncode == nil)
            try sleeper.kill()
            #expect(try await sleeper.wait() == -SIGKILL)
            let terminated = try await createSubprocessExec("sleep", ["30"])
            try terminated.terminate()
            #expect(try await terminated.wait() == -SIGTERM)
            // Once reaped, signals go nowhere (the pid may be someone else's).
            try terminated.sendSignal(SIGKILL)
            #expect(terminated.returncode == -SIGTERM)
        }
    }

    @Test func theChildStartsWithDefaultSignalsEvenThoughTheLoopBlocksSIGPIPE() async throws {
        try await onLoop {
            // No signal blocked or ignored in the child: of the standard ones (1...31), as
            // glibc keeps 32 and 33 for itself and they cannot be reset through it.
            let status = try await createSubprocessExec("grep", ["-E", "^Sig(Blk|Ign)", "/proc/self/status"], stdout: .pipe)
            let (lines, _) = try await status.communicate()
            let masks = (Self.text(lines) ?? "").split(separator: "\n").map { line in
                UInt64(line.split(separator: "\t").last ?? "", radix: 16).map { $0 & 0x7FFF_FFFF }
            }
            #expect(masks == [0, 0])
            // yes writes into a pipe whose only reader closed: SIGPIPE kills it.
            let yes = try await createSubprocessExec("yes", stdout: .pipe)
            #expect(try await yes.stdout?.readExactly(4) == Array("y\ny\n".utf8))
            yes.stdout?.connection.abort()
            #expect(try await yes.wait() == -SIGPIPE)
        }
    }

    @Test func stderrToStdoutAndEnvironmentAndDirectory() async throws {
        try await onLoop {
            let both = try await createSubprocessShell("echo out; echo err >&2", stdout: .pipe, stderr: .stdout)
            #expect(both.stderr == nil)
            let (out, err) = try await both.communicate()
            #expect(Self.text(out) == "out\nerr\n")
            #expect(err == nil)
            let separate = try await createSubprocessShell("echo out; echo err >&2", stdout: .pipe, stderr: .pipe)
            let (out2, err2) = try await separate.communicate()
            #expect(Self.text(out2) == "out\n" && Self.text(err2) == "err\n")
            let env = try await createSubprocessExec("/bin/sh", ["-c", "echo $GREETING; pwd"], stdout: .pipe,
                                                     environment: ["GREETING": "hi", "PATH": "/usr/bin:/bin"],
                                                     currentDirectory: "/tmp")
            let (out3, _) = try await env.communicate()
            #expect(Self.text(out3) == "hi\n/tmp\n")
            await #expect(throws: StreamError.self) { _ = try await createSubprocessExec("cat", stdout: .stdout) }
        }
    }

    @Test func aMissingOrNonExecutableProgramIsAClearError() async throws {
        try await onLoop {
            do {
                _ = try await createSubprocessExec("no-such-program-asynctop", stdout: .pipe)
                Issue.record("a missing program must throw")
            } catch let error as IOError {
                #expect(error.code == ENOENT)
                #expect(error.operation == "start no-such-program-asynctop")
                #expect(error.description.contains("ENOENT"))
            }
            await #expect(throws: IOError(errno: ENOENT, doing: "start /no/such/dir/prog")) {
                _ = try await createSubprocessExec("/no/such/dir/prog")
            }
            // A file that exists but may not be executed.
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("asynctop-noexec-\(getpid())").path
            #expect(FileManager.default.createFile(atPath: path, contents: Data("#!/bin/sh\n".utf8),
                                           attributes: [.posixPermissions: 0o644]))
            defer { unlink(path) }
            await #expect(throws: IOError(errno: EACCES, doing: "start \(path)")) {
                _ = try await createSubprocessExec(path)
            }
            let directory = (path as NSString).deletingLastPathComponent
            let name = (path as NSString).lastPathComponent
            await #expect(throws: IOError(errno: EACCES, doing: "start \(name)")) {
                _ = try await createSubprocessExec(name, environment: ["PATH": directory])
            }
            await #expect(throws: IOError(errno: ENOENT, doing: "start true in /no/such/dir")) {
                _ = try await createSubprocessExec("true", currentDirectory: "/no/such/dir")
            }
            // Nothing leaked: the loop watches no descriptor.
            #expect(try #require(EventLoop.current).reactor.count == 0)
        }
    }

    @Test func aWaitShowsInTheSnapshotAndCancellingItLeavesTheChildRunning() async throws {
        try await onLoop {
            let sleeper = try await createSubprocessExec("sleep", ["30"])
            let waiter = try spawn(name: "waiter") { try await sleeper.wait() }
            try await settle()
            let record = try #require(info(waiter.id))
            guard case .suspended(.resource(let kind, _, let name)) = record.state else {
                Issue.record("not waiting on a resource: \(record.state)")
                return
            }
            #expect(kind == "wait")
            #expect(name?.hasPrefix("pid \(sleeper.pid) (sleep) (fd ") == true)
            #expect(record.state.description.contains("wait pid \(sleeper.pid) (sleep)"))
            let resources = try #require(EventLoop.current).snapshot().resources
            let process = try #require(resources.first { $0.kind == "Process" })
            #expect(process.waiters == [waiter.id])
            #expect(process.detail.contains("running"))

            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            #expect(info(waiter.id)?.cancel?.deliveredIn?.hasPrefix("wait pid \(sleeper.pid)") == true)
            // The child runs on, and the Subprocess still works.
            #expect(Glibc.kill(sleeper.pid, 0) == 0)
            #expect(sleeper.returncode == nil)
            try sleeper.kill()
            #expect(try await sleeper.wait() == -SIGKILL)
            #expect(try #require(EventLoop.current).reactor.count == 0)
        }
    }

    @Test func severalTasksWaitForOneChild() async throws {
        try await onLoop {
            let child = try await createSubprocessExec("/bin/sh", ["-c", "read x; exit 7"], stdin: .pipe)
            let waiters = try (0..<3).map { i in try spawn(name: "waiter \(i)") { try await child.wait() } }
            try await settle()
            #expect(waiters.allSatisfy { !$0.done })
            child.stdin?.close()
            for waiter in waiters { #expect(try await waiter.value == 7) }
        }
    }

    @Test func noZombieIsLeftAfterWaitOrWhenTheSubprocessIsDropped() async throws {
        try await onLoop {
            let child = try await createSubprocessExec("true")
            let pid = child.pid
            #expect(try await child.wait() == 0)
            #expect(Glibc.kill(pid, 0) == -1 && errno == ESRCH)

            // Dropped while running: the loop still reaps it when it exits.
            var dropped: Subprocess? = try await createSubprocessExec("sleep", ["0.05"])
            let droppedPid = try #require(dropped?.pid)
            dropped = nil
            #expect(dropped == nil)
            let loop = try #require(EventLoop.current)
            var waited = 0.0
            while Self.exists(droppedPid) && waited < 10 {
                try await sleep(0.02)
                waited += 0.02
            }
            #expect(!Self.exists(droppedPid))
            #expect(loop.reactor.count == 0)
        }
    }

    @Test func writingToAChildThatExitedIsEPIPE() async throws {
        try await onLoop {
            let child = try await createSubprocessExec("true", stdin: .pipe)
            #expect(try await child.wait() == 0)
            let stdin = try #require(child.stdin)
            do {
                try stdin.write([UInt8](repeating: 1, count: 1 << 20))
                try await stdin.drain()
                Issue.record("writing to a child that exited must fail")
            } catch let error as IOError {
                #expect(error.code == EPIPE)
                #expect(error.operation.hasPrefix("write to pid \(child.pid) (true) stdin"))
            }
            // communicate does not count it as an error.
            let early = try await createSubprocessExec("true", stdin: .pipe, stdout: .pipe)
            let (out, _) = try await early.communicate(input: [UInt8](repeating: 2, count: 1 << 20))
            #expect(out == [])
            #expect(early.returncode == 0)
        }
    }

    @Test func severalMebibytesThroughCatAreReadWhole() async throws {
        try await onLoop {
            let size = 6 << 20
            let input = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 13) }
            let cat = try await createSubprocessExec("cat", stdin: .pipe, stdout: .pipe)
            let (out, _) = try await cat.communicate(input: input)
            #expect(out?.count == size)
            #expect(out == input)
            #expect(cat.stdin?.bytesWritten == UInt64(size))
            #expect(cat.returncode == 0)
        }
    }

    @Test func withoutPidfdsAThreadReapsTheChild() async throws {
        try await onLoop {
            let loop = try #require(EventLoop.current)
            let child = try loop.startSubprocess("/bin/sh", ["-c", "read x; exit 5"], stdin: .pipe, stdout: .inherit,
                                                 stderr: .inherit, environment: nil, currentDirectory: nil,
                                                 limit: 65536, reaper: .thread)
            #expect(child.watch.reaper == .thread)
            let waiter = try spawn(name: "waiter") { try await child.wait() }
            try await settle()
            #expect(info(waiter.id)?.state.description.contains("wait pid \(child.pid) (sh)") == true)
            child.stdin?.close()
            #expect(try await waiter.value == 5)
            #expect(Glibc.kill(child.pid, 0) == -1 && errno == ESRCH)
            #expect(loop.reactor.count == 0)
        }
    }

    @Test func cancellingCommunicateLeavesTheChildRunning() async throws {
        try await onLoop {
            let sleeper = try await createSubprocessExec("sleep", ["30"], stdin: .pipe, stdout: .pipe, stderr: .pipe)
            let talker = try spawn(name: "talker") { try await sleeper.communicate() }
            try await settle()
            #expect(info(talker.id)?.state.description.contains("read pid \(sleeper.pid) (sleep) stdout") == true)
            let helpers = try #require(EventLoop.current).snapshot().tasks.filter { $0.name?.hasPrefix("pid \(sleeper.pid) (sleep) ") == true }
            #expect(helpers.compactMap(\.name).sorted() == ["pid \(sleeper.pid) (sleep) stderr", "pid \(sleeper.pid) (sleep) stdin"])
            talker.cancel()
            await #expect(throws: CancellationError.self) { try await talker.value }
            try await settle()
            // The stderr reader went with it; the child runs on.
            for helper in helpers { #expect(info(helper.id)?.state.kind.isFinished == true) }
            #expect(Glibc.kill(sleeper.pid, 0) == 0 && sleeper.returncode == nil)
            try sleeper.kill()
            #expect(try await sleeper.wait() == -SIGKILL)
        }
    }

    @Test func aChildStillRunningWhenTheLoopClosesIsReapedAfterwards() async throws {
        let pid = try await onLoop { () -> Int32 in
            try await createSubprocessExec("sleep", ["0.1"]).pid
        }
        var waited = 0
        while Self.exists(pid) && waited < 500 {
            try await Task.sleep(for: .milliseconds(20))
            waited += 1
        }
        #expect(!Self.exists(pid))
    }

    @Test func argumentsWithNULBytesAreRefused() async throws {
        try await onLoop {
            await #expect(throws: StreamError.self) { _ = try await createSubprocessExec("echo", ["a\u{0}b"]) }
            await #expect(throws: StreamError.self) { _ = try await createSubprocessExec("env", environment: ["A=B": "c"]) }
        }
    }
}

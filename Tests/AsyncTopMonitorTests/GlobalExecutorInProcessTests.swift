import AsyncTopClient
import AsyncTopModel
import AsyncTopRuntime
import Foundation
import Testing
import TmuxTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `GlobalExecutorMonitor.install()` in a program that links asynctop: the monitor fixture
/// with `--global-executor` restarts itself under the preloaded observer and serves its plain
/// Swift tasks beside its loop, on the loop's socket; without the observer library it runs
/// unwatched and says why.
@Suite(.offCooperativePool, .serialized,
       .enabled(if: BuiltBinary.monitorFixture != nil && BuiltBinary.asynctop != nil, "binaries not built"))
struct GlobalExecutorInProcessTests {
    func rows(_ socket: String) throws -> [ProcessTable.Row] {
        let ps = TmuxSession.run([BuiltBinary.asynctop!, "ps", socket, "--json"])
        #expect(ps.status == 0, "\(ps.output)")
        return try JSONDecoder().decode([ProcessTable.Row].self, from: Data(ps.output.utf8))
    }

    @Test func installServesThePlainTasksBesideTheLoopAndCancelsThem() throws {
        let child = try FixtureProcess(extra: ["--global-executor"])
        #expect(child.output.contains("global executor: watching the program's plain tasks"), "\(child.output)")
        // Restarted in place: the same process, now with the observer preloaded.
        let environment = try String(contentsOfFile: "/proc/\(child.pid)/environ", encoding: .utf8)
        #expect(environment.split(separator: "\0").contains { $0.hasPrefix("LD_PRELOAD=") && $0.contains("libAsyncTopPreload.so") })

        // Every task is there, and has run to where it waits, a little after "ready": ask until so.
        func settled(_ table: [ProcessTable.Row]) -> Bool {
            let waiting = ["plain-sleeper", "plain-child-1", "plain-child-2", "plain-cancellable", "loop-group-child"]
            return waiting.allSatisfy { name in table.contains { $0.name == name && $0.waitingOn?.hasPrefix("sleep until") == true } }
                && table.contains { $0.name == "plain-group" }
        }
        var table = try rows(child.socket)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !settled(table) {
            Thread.sleep(forTimeInterval: 0.1)
            table = try rows(child.socket)
        }
        #expect(settled(table), "\(table)")
        #expect(Set(table.compactMap(\.loop)) == ["fixture", "global executor"])
        let plain = table.filter { $0.loop == "global executor" }
        func row(_ name: String) throws -> ProcessTable.Row { try #require(plain.first { $0.name == name }, "\(plain.map(\.name))") }
        let group = try row("plain-group")
        for name in ["plain-child-1", "plain-child-2"] {
            #expect(try row(name).kind == "groupChild")
            #expect(try row(name).parent == group.id)
        }
        #expect(try row("plain-sleeper").kind == "unstructured")
        #expect(try row("plain-sleeper").waitingOn?.hasPrefix("sleep until") == true)
        #expect(plain.allSatisfy { $0.executor == "global executor" })
        // The loop's tasks, a task group's child in one of them included, are the loop's only:
        // they run on its executor, not on the global one.
        let loopNames = Set(table.filter { $0.loop == "fixture" }.map(\.name))
        #expect(loopNames.isSuperset(of: ["main", "sleeper-1", "ticker", "loop-group", "loop-group-child"]), "\(loopNames)")
        #expect(Set(plain.map(\.name)).isDisjoint(with: loopNames), "\(plain.map(\.name))")
        #expect(Set(table.map(\.id)).count == table.count)

        // Cancelled over the socket: the task's own handler says so.
        let target = try row("plain-cancellable")
        let connection = try MonitorConnection(path: child.socket, loops: true)
        connection.send(.cancel(id: 1, task: target.id, message: nil))
        var reply: ServerMessage?
        let replyBy = Date().addingTimeInterval(20)
        while Date() < replyBy, reply == nil {
            switch try connection.next(timeout: 0.5) {
            case .reply(1, let result)?: reply = .reply(id: 1, result: result)
            case .error(1, let code, let text)?: reply = .error(id: 1, code: code, message: text)
            default: continue
            }
        }
        #expect(reply == .reply(id: 1, result: "requested"))
        let saidBy = Date().addingTimeInterval(15)
        while Date() < saidBy, !child.output.contains("plain-cancellable cancelled") { Thread.sleep(forTimeInterval: 0.05) }
        #expect(child.output.contains("plain-cancellable cancelled"), "\(child.output)")
        var after = try rows(child.socket).first { $0.id == target.id }
        let endedBy = Date().addingTimeInterval(15)
        while Date() < endedBy, after?.state == "suspended" {
            Thread.sleep(forTimeInterval: 0.1)
            after = try rows(child.socket).first { $0.id == target.id }
        }
        #expect(after?.cancelRequestedBy == "dashboard", "\(String(describing: after))")
        // It caught the cancellation (`try?`) and returned.
        #expect(after?.state == "done", "\(String(describing: after))")
    }

    /// The dashboard attached to such a program: both "loops", the plain tasks' tree, and a
    /// plain task cancelled with the keys.
    @Test(.enabled(if: TmuxSession.isAvailable, "tmux is not installed"))
    func theDashboardShowsThePlainTasksBesideTheLoopAndCancelsThem() throws {
        let child = try FixtureProcess(extra: ["--global-executor"])
        let session = try TmuxSession(command: "'\(BuiltBinary.asynctop!)' attach '\(child.socket)'", cols: 140, rows: 45)
        let screen = session.waitFor(timeout: .seconds(30)) {
            $0.contains("plain-child-2") && $0.contains("plain-cancellable") && $0.contains("sleeper-3")
        }
        #expect(screen.contains("fixture, global executor"), "\(screen)")
        // The loop, and the global executor's cooperative pool, among the executors.
        #expect(screen.contains("fixture (loop)") && screen.contains("cooperative pool (threads)"), "\(screen)")
        // A plain task's row names its executor.
        #expect(screen.split(separator: "\n").contains { $0.contains("plain-child-1") && $0.contains("global ex") }, "\(screen)")
        session.send("/")
        session.type("plain-cancellable")
        session.send("Enter")
        session.send("c")
        #expect(session.waitFor("Cancel task"))
        session.send("Enter")
        let saidBy = Date().addingTimeInterval(20)
        while Date() < saidBy, !child.output.contains("plain-cancellable cancelled") { Thread.sleep(forTimeInterval: 0.05) }
        #expect(child.output.contains("plain-cancellable cancelled"), "\(child.output)")
        #expect(session.waitFor { $0.split(separator: "\n").contains { $0.contains("plain-cancellable") && $0.contains("done") } }
                    .contains("done"), "it caught the cancellation and returned")
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))
    }

    /// Called from a thread of the cooperative pool (which blocks most signals), the restart
    /// leaves SIGTERM able to end the program. (The restart sets the main thread's mask before
    /// `execve`; a Swift program's own start-up also clears its main thread's mask — a program
    /// exec'd from a thread blocking every signal starts unblocked — so this holds either way.)
    @Test func aRestartFromAPoolThreadKeepsTheProgramsSignals() throws {
        let child = try FixtureProcess(extra: ["--global-executor-from-a-task"])
        #expect(child.output.contains("global executor: watching the program's plain tasks"), "\(child.output)")
        let status = try String(contentsOfFile: "/proc/\(child.pid)/status", encoding: .utf8)
        let blocked = status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") }
            .flatMap { UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) }
        #expect(blocked.map { $0 & (1 << (UInt64(SIGTERM) - 1)) == 0 } == true, "\(status)")
        let pid = child.pid
        kill(pid, SIGTERM)
        var ended: Int32 = 0, reaped: pid_t = 0
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, reaped == 0 {
            reaped = waitpid(pid, &ended, WNOHANG)
            if reaped == 0 { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(reaped == pid, "SIGTERM did not end the restarted program")
        if reaped == 0 { kill(pid, SIGKILL); waitpid(pid, &ended, 0) }
        child.forget()
    }

    /// In this process (the test runner, not preloaded), told not to restart: off, with the
    /// way to turn it on, the same answer each time, and no socket started for nothing.
    @Test func withoutRestartItSaysHowToTurnItOn() throws {
        let status = GlobalExecutorMonitor.install(restart: false)
        #expect(status == .off("libAsyncTopPreload.so is not loaded in this process; start it with LD_PRELOAD, or under `asynctop run`"))
        #expect(GlobalExecutorMonitor.status == status)
        let socket = "/tmp/at-gx-\(UUID().uuidString.prefix(8)).sock"
        #expect(try GlobalExecutorMonitor.install(serving: .socket(socket)) == status)
        #expect(!FileManager.default.fileExists(atPath: socket))
    }

    @Test func withoutTheObserverLibraryTheProgramRunsUnwatchedAndSaysWhy() throws {
        // A copy of the fixture alone in a directory, no asynctop on PATH: nothing to preload.
        let child = try FixtureProcess(extra: ["--global-executor"], environment: ["PATH=/usr/bin:/bin"]) { fixture, directory in
            let copy = directory + "/lonely-fixture"
            try FileManager.default.copyItem(atPath: fixture, toPath: copy)
            return copy
        }
        #expect(child.output.contains("global executor: not watching the program's plain tasks: libAsyncTopPreload.so is not loaded "
                                      + "in this process, and libAsyncTopPreload.so was not found beside the program or beside "
                                      + "asynctop on PATH"), "\(child.output)")
        let table = try rows(child.socket)
        #expect(Set(table.compactMap(\.loop)).isSubset(of: ["fixture"]) && table.contains { $0.name == "sleeper-1" }, "\(table)")
        #expect(!table.contains { $0.name.hasPrefix("plain-") })

        // A library named that is not there is said so, not looked for elsewhere.
        let misnamed = try FixtureProcess(extra: ["--global-executor"], environment: ["ASYNCTOP_PRELOAD_LIBRARY=/nonexistent/libX.so"])
        #expect(misnamed.output.contains("and ASYNCTOP_PRELOAD_LIBRARY names no readable file: /nonexistent/libX.so"),
                "\(misnamed.output)")
    }

    /// Preloaded with a socket of its own that cannot be served (the environment-only form of
    /// `asynctop run`): the observer turns off, and `install()` says so instead of watching
    /// with nothing recorded.
    @Test func anObserverThatCouldNotServeIsOffForInstallToo() throws {
        let preload = (BuiltBinary.asynctop! as NSString).deletingLastPathComponent + "/libAsyncTopPreload.so"
        let child = try FixtureProcess(extra: ["--global-executor"],
                                       environment: ["LD_PRELOAD=\(preload)", "ASYNCTOP_OBSERVE_SOCKET=/nonexistent/dir/x.sock"])
        #expect(child.output.contains("global executor: not watching the program's plain tasks: the observer's own socket "
                                      + "(ASYNCTOP_OBSERVE_SOCKET) could not be served"), "\(child.output)")
        #expect(try rows(child.socket).contains { $0.name == "sleeper-1" })
    }

    /// Under `asynctop run`, `install()` finds the observer on (no restart): the program's
    /// plain tasks show on the run's socket and on its loop's.
    @Test func underAsynctopRunInstallWatchesWithoutRestarting() throws {
        let directory = "/tmp/at-gx-\(UUID().uuidString.prefix(8))"
        mkdir(directory, 0o700)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runSocket = directory + "/run.sock", loopSocket = directory + "/loop.sock", output = directory + "/out.txt"
        let pid = try FixtureProcess.spawn([BuiltBinary.asynctop!, "run", "--no-dashboard", "--socket", runSocket, "--",
                                            BuiltBinary.monitorFixture!, loopSocket, "--global-executor"], output: output)
        defer {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        func said() -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !said().contains("ready") || !FileManager.default.fileExists(atPath: runSocket) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(said().contains("global executor: watching the program's plain tasks"), "\(said())")
        var onLoop = try rows(loopSocket), onRun = try rows(runSocket)
        let settledBy = Date().addingTimeInterval(15)
        while Date() < settledBy, !onLoop.contains(where: { $0.name == "plain-child-2" }) || !onRun.contains(where: { $0.name == "plain-child-2" }) {
            Thread.sleep(forTimeInterval: 0.1)
            (onLoop, onRun) = (try rows(loopSocket), try rows(runSocket))
        }
        #expect(onLoop.contains { $0.name == "plain-child-2" && $0.loop == "global executor" }, "\(onLoop)")
        #expect(onRun.contains { $0.name == "plain-child-2" }, "\(onRun)")
        #expect(!onRun.contains { $0.name == "sleeper-1" }, "the loop's tasks are the loop's")
    }

    @Test func aRuntimeTheObserverDoesNotKnowLeavesTheProgramAsItIs() throws {
        let child = try FixtureProcess(extra: ["--global-executor"], environment: ["ASYNCTOP_OBSERVE_EXPECT_LAYOUT=99"])
        #expect(child.output.contains("global executor: not watching the program's plain tasks: the Swift runtime's task layout "
                                      + "is version 1; the observer knows version 99"), "\(child.output)")
        let table = try rows(child.socket)
        #expect(table.contains { $0.name == "sleeper-1" } && !table.contains { $0.loop == "global executor" }, "\(table)")
    }

    /// Under `asynctop run`, a program's loop tasks are its loop's: the global executor's
    /// view does not show them as tasks that never started.
    @Test func asynctopRunShowsNoLoopTaskOnTheGlobalExecutor() throws {
        let directory = "/tmp/at-gx-\(UUID().uuidString.prefix(8))"
        mkdir(directory, 0o700)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runSocket = directory + "/run.sock", loopSocket = directory + "/loop.sock"
        let pid = try FixtureProcess.spawn([BuiltBinary.asynctop!, "run", "--no-dashboard", "--socket", runSocket, "--",
                                            BuiltBinary.monitorFixture!, loopSocket], output: directory + "/out.txt")
        defer {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline,
              !((try? String(contentsOfFile: directory + "/out.txt", encoding: .utf8))?.contains("ready") ?? false)
                || !FileManager.default.fileExists(atPath: runSocket) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let global = try rows(runSocket)
        let loop = try rows(loopSocket)
        #expect(!global.isEmpty, "the program's async main, at least")
        #expect(loop.contains { $0.name == "sleeper-1" })
        #expect(Set(global.map(\.name)).isDisjoint(with: loop.map(\.name).filter { $0 != "main" }), "\(global.map(\.name))")
        #expect(!global.contains { $0.state == "pending" }, "\(global)")
    }
}

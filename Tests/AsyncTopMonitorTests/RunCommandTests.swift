import AsyncTopClient
import AsyncTopModel
import Foundation
import Synchronization
import Testing
import TmuxTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `asynctop run`: a plain Swift program (`asynctop-plain-fixture`, which knows nothing of
/// asynctop) watched through the preloaded observer: its tasks over the socket with their
/// names, parents, kinds and waits; cancellation from outside; its exit status; the
/// observer turned off by a runtime it does not know; and the dashboard in tmux.
@Suite(.offCooperativePool, .serialized,
       .enabled(if: BuiltBinary.plainFixture != nil && BuiltBinary.asynctop != nil, "binaries not built"))
struct RunCommandTests {
    /// `asynctop run ARGS…` in the background, its output (and the program's) in a file.
    final class Run {
        let directory = "/tmp/at-run-\(UUID().uuidString.prefix(8))"
        let socket: String
        let outputPath: String
        private(set) var pid: pid_t = 0

        init(_ arguments: [String], environment: [String] = []) throws {
            mkdir(directory, 0o700)
            socket = directory + "/run.sock"
            outputPath = directory + "/out.txt"
            pid = try FixtureProcess.spawn([BuiltBinary.asynctop!, "run"] + arguments.map {
                $0.replacingOccurrences(of: "{socket}", with: socket)
            }, output: outputPath, environment: environment)
        }

        /// SIGTERM goes on to the program (SIGKILL would leave it running on its own); then
        /// SIGKILL if `asynctop run` is still there after 10 s.
        deinit {
            if pid > 0 {
                kill(pid, SIGTERM)
                var status: Int32 = 0
                for _ in 0..<200 where waitpid(pid, &status, WNOHANG) == 0 { Thread.sleep(forTimeInterval: 0.05) }
                kill(pid, SIGKILL)
                waitpid(pid, &status, WNOHANG)
            }
            try? FileManager.default.removeItem(atPath: directory)
        }

        var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

        func waitForOutput(_ text: String, timeout: Double = 30) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if output.contains(text) { return true }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return false
        }

        /// Reaps `asynctop run`: its exit status (or 128 + the signal that ended it).
        func wait() -> Int32 {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            pid = 0
            return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        }
    }

    static func waitForSnapshot(_ remote: RemoteLoop, timeout: Double = 30, until condition: (Snapshot) -> Bool) -> Snapshot {
        let deadline = Date().addingTimeInterval(timeout)
        var snapshot = remote.snapshot
        while Date() < deadline, !condition(snapshot) {
            Thread.sleep(forTimeInterval: 0.05)
            snapshot = remote.snapshot
        }
        return snapshot
    }

    static let everyTask = ["cancellable-waiter", "cancel-catcher", "detached-sleeper", "group-owner", "group-child-0",
                            "group-child-1", "group-child-2", "async-let-owner", "continuation-waiter"]

    @Test func showsAPlainProgramsTasksAndCancelsThem() throws {
        let run = try Run(["--no-dashboard", "--socket", "{socket}", "--", BuiltBinary.plainFixture!])
        #expect(run.waitForOutput("watching asynctop-plain-fixture"), "\(run.output)")
        let remote = RemoteLoop(path: run.socket)
        defer { remote.stop() }
        // Every task suspended where the fixture left it, the spawn sites named.
        let snapshot = Self.waitForSnapshot(remote) { snapshot in
            Self.everyTask.allSatisfy { name in
                snapshot.tasks.contains { $0.name == name && $0.state.kind == .suspended && $0.site != nil }
            } && snapshot.tasks.contains { $0.origin == .asyncLet && $0.state.kind == .suspended }
        }
        func task(_ name: String) throws -> TaskInfo { try #require(snapshot.tasks.first { $0.name == name }, "\(snapshot.tasks.map(\.displayName))") }
        let main = try #require(snapshot.tasks.first { $0.origin == .main })
        let waiter = try task("cancellable-waiter"), detached = try task("detached-sleeper")
        let owner = try task("group-owner"), letOwner = try task("async-let-owner")
        #expect(waiter.origin == .unstructured && waiter.parentID == main.id)
        #expect(detached.origin == .detached && detached.parentID == nil)
        guard case .suspended(.sleep(let until)) = waiter.state else {
            Issue.record("the waiter sleeps: \(waiter.state)")
            return
        }
        #expect(until > snapshot.takenAt + 60_000_000_000, "its deadline is ten minutes on: \(until) vs \(snapshot.takenAt)")
        for index in 0..<3 {
            let child = try task("group-child-\(index)")
            #expect(child.origin == .groupChild && child.parentID == owner.id)
            #expect(child.site?.hasPrefix("main.swift:") == true, "spawned in the fixture: \(child.site ?? "nil")")
        }
        let asyncLet = try #require(snapshot.tasks.first { $0.origin == .asyncLet })
        #expect(asyncLet.parentID == letOwner.id)
        #expect(letOwner.state == .suspended(.task(asyncLet.id)))
        // The await of a continuation is seen where the program's own code makes the call:
        // in an optimized build, where `withCheckedContinuation` is inlined into it.
        let continuation = try task("continuation-waiter").state
        if BuiltBinary.plainFixture!.contains("/release/") {
            #expect(continuation == .suspended(.other("continuation")))
        } else {
            #expect(continuation == .suspended(.other("continuation")) || continuation == .suspended(.unknown), "\(continuation)")
        }
        #expect(waiter.site?.hasPrefix("main.swift:") == true, "\(waiter.site ?? "nil")")
        #expect(snapshot.executors.contains { $0.name == "cooperative pool" && !$0.workers.isEmpty })

        // Another process's view: `ps --json`.
        let ps = TmuxSession.run([BuiltBinary.asynctop!, "ps", "--json", run.socket])
        #expect(ps.status == 0)
        let rows = try JSONDecoder().decode([ProcessTable.Row].self, from: Data(ps.output.utf8))
        let row = try #require(rows.first { $0.name == "group-child-1" })
        #expect(row.kind == "groupChild" && row.parent == owner.id && row.waitingOn?.hasPrefix("sleep until") == true)
        #expect(rows.first { $0.name == "async-let-owner" }?.waitingOn == "task \(asyncLet.id)")

        // Where each waits: the async stack, to the fixture's lines.
        let stacked = TmuxSession.run([BuiltBinary.asynctop!, "ps", "--stacks", "--json", run.socket])
        let stackRows = try JSONDecoder().decode([ProcessTable.Row].self, from: Data(stacked.output.utf8))
        let childStack = try #require(stackRows.first { $0.name == "group-child-0" }?.stack, "\(stacked.output.prefix(2000))")
        #expect(childStack.contains { $0.file?.hasSuffix("main.swift") == true && $0.line != nil }, "\(childStack)")

        // Cancelled over the socket: the program itself says so.
        let answer = Mutex<CancelAnswer?>(nil)
        let answered = DispatchSemaphore(value: 0)
        remote.cancel(task: waiter.id, message: nil, timeout: 10) { reply in
            answer.withLock { $0 = reply }
            answered.signal()
        }
        _ = answered.wait(timeout: .now() + 15)
        #expect(answer.withLock { $0 } == .requested)
        #expect(run.waitForOutput("cancellable-waiter was cancelled"), "\(run.output)")
        let after = Self.waitForSnapshot(remote) { $0.task(waiter.id)?.state.isFinished == true }
        #expect(after.task(waiter.id)?.state.kind == .cancelled, "\(String(describing: after.task(waiter.id)?.state))")
        #expect(after.task(waiter.id)?.cancel?.requestedBy == .dashboard)
        #expect(after.task(waiter.id)?.cancel?.outcome == .cancelled)

        // A task that catches its cancellation and returns: done, its cancellation swallowed.
        let catcher = try task("cancel-catcher")
        remote.cancel(task: catcher.id, message: nil, timeout: 10) { _ in }
        #expect(run.waitForOutput("cancel-catcher caught its cancellation"), "\(run.output)")
        let caught = Self.waitForSnapshot(remote) { $0.task(catcher.id)?.state.isFinished == true }
        #expect(caught.task(catcher.id)?.state == .done(result: nil), "\(String(describing: caught.task(catcher.id)?.state))")
        #expect(caught.task(catcher.id)?.cancel?.outcome == .swallowed)

        // SIGTERM to `asynctop run` goes to the program, which it ended.
        kill(run.pid, SIGTERM)
        #expect(run.wait() == 128 + SIGTERM)
        #expect(run.output.contains("was killed by signal \(SIGTERM)"), "\(run.output)")
    }

    @Test func theProgramsExitStatusPassesThrough() throws {
        let run = try Run(["--no-dashboard", "--socket", "{socket}", "--", BuiltBinary.plainFixture!, "--hold", "0.2", "--exit", "3"])
        #expect(run.wait() == 3)
        #expect(run.output.contains("plain fixture done: tally 8"), "the program ran to its end: \(run.output)")
        #expect(run.output.contains("watching asynctop-plain-fixture"))
        #expect(run.output.contains("asynctop-plain-fixture exited with status 3"))
        #expect(!FileManager.default.fileExists(atPath: run.socket), "the socket went with the program")
    }

    /// The benchmark's floor modes (interposed but recording nothing; and reading the clock)
    /// leave the program's results as they are: every kind of task and wait runs through them.
    @Test func theBenchmarksFloorModesRunTheProgramAsItIs() throws {
        for mode in ["1", "2"] {
            let run = try Run(["--no-dashboard", "--socket", "{socket}", "--", BuiltBinary.plainFixture!, "--hold", "0.2"],
                              environment: ["ASYNCTOP_OBSERVE_FLOOR=\(mode)"])
            #expect(run.wait() == 0, "\(run.output)")
            #expect(run.output.contains("plain fixture done: tally 8"), "\(run.output)")
        }
    }

    /// The program's own children inherit the environment but are not watched: they run as
    /// they would alone.
    @Test func theProgramsChildrenRunUnwatched() throws {
        let run = try Run(["--no-dashboard", "--socket", "{socket}", "--", BuiltBinary.plainFixture!, "--hold", "0.2", "--spawn-child"])
        #expect(run.wait() == 0, "\(run.output)")
        #expect(run.output.contains("child exited 0: elapsed "), "\(run.output)")
        #expect(run.output.contains("watching asynctop-plain-fixture"))
    }

    /// A runtime whose layout the observer does not know: the program runs as it would
    /// alone, and `asynctop run` says the observer is off and why.
    @Test func anUnknownRuntimeTurnsTheObserverOff() throws {
        let run = try Run(["--no-dashboard", "--socket", "{socket}", "--", BuiltBinary.plainFixture!, "--hold", "0.2"],
                          environment: ["ASYNCTOP_OBSERVE_EXPECT_LAYOUT=99"])
        #expect(run.wait() == 0)
        #expect(run.output.contains("plain fixture done: tally 8"), "\(run.output)")
        #expect(run.output.contains("the observer is off: the Swift runtime's task layout is version 1; the observer knows version 99"),
                "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: run.socket))
    }

    @Test func refusesWhatItCannotRunWithAClearError() throws {
        let missing = TmuxSession.run([BuiltBinary.asynctop!, "run", "--", "/no/such/program"])
        #expect(missing.status == 127 && missing.output.contains("/no/such/program: no such file"), "\(missing.output)")
        let directory = "/tmp/at-refuse-\(UUID().uuidString.prefix(8))"
        mkdir(directory, 0o700)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "not a program\n".write(toFile: directory + "/text", atomically: true, encoding: .utf8)
        chmod(directory + "/text", 0o644)
        let notExecutable = TmuxSession.run([BuiltBinary.asynctop!, "run", "--", directory + "/text"])
        #expect(notExecutable.status == 126 && notExecutable.output.contains("not an executable file"), "\(notExecutable.output)")
        chmod(directory + "/text", 0o755)
        let notAProgram = TmuxSession.run([BuiltBinary.asynctop!, "run", "--", directory + "/text"])
        #expect(notAProgram.status == 126 && notAProgram.output.contains("Exec format error"), "\(notAProgram.output)")
        let nothing = TmuxSession.run([BuiltBinary.asynctop!, "run"])
        #expect(nothing.status == 64 && nothing.output.contains("name the program to run"), "\(nothing.output)")
        // Not a Swift program: it runs, unobserved, and says so.
        let shell = TmuxSession.run([BuiltBinary.asynctop!, "run", "--no-dashboard", "--", "/bin/sh", "-c", "exit 5"])
        #expect(shell.status == 5 && shell.output.contains("runs unobserved"), "\(shell.output)")
        // A second run on a socket already served.
        let first = try Run(["--no-dashboard", "--socket", "{socket}", "--", BuiltBinary.plainFixture!])
        #expect(first.waitForOutput("watching"), "\(first.output)")
        let second = TmuxSession.run([BuiltBinary.asynctop!, "run", "--socket", first.socket, "--", BuiltBinary.plainFixture!])
        #expect(second.status == 64 && second.output.contains("another program already serves this socket"), "\(second.output)")
    }

    /// A wrapper script is passed through: the Swift program it execs is the one watched.
    @Test func followsAWrapperScriptToTheSwiftProgram() throws {
        let directory = "/tmp/at-wrap-\(UUID().uuidString.prefix(8))"
        mkdir(directory, 0o700)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let script = directory + "/wrapper.sh"
        // Written through a descriptor closed on exec: a process another test starts at that
        // moment must not inherit it, or the script is "busy" (ETXTBSY) when run.
        let fd = open(script, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        #expect(fd >= 0)
        let text = Array("#!/bin/sh\nexec '\(BuiltBinary.plainFixture!)' --hold 0.3 --exit 4\n".utf8)
        #expect(write(fd, text, text.count) == text.count)
        close(fd)
        let run = try Run(["--no-dashboard", "--socket", "{socket}", "--", script])
        #expect(run.wait() == 4)
        #expect(run.output.contains("watching wrapper.sh"), "\(run.output)")
    }

    @Test(.enabled(if: TmuxSession.isAvailable, "tmux is not installed"))
    func theDashboardShowsTheTreeAndCancelsWithKeys() throws {
        let directory = "/tmp/at-runt-\(UUID().uuidString.prefix(8))"
        mkdir(directory, 0o700)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outputPath = directory + "/program.out"
        let session = try TmuxSession(
            command: "'\(BuiltBinary.asynctop!)' run --socket '\(directory)/t.sock' --output '\(outputPath)' -- '\(BuiltBinary.plainFixture!)'",
            cols: 140, rows: 40)
        let screen = session.waitFor(timeout: .seconds(40)) { $0.contains("group-child-2") && $0.contains("continuation-waiter") }
        #expect(screen.contains("group-owner") && screen.contains("output → \(outputPath)"), "\(screen)")
        #expect(screen.contains("global executor"), "\(screen)")
        session.send("/")
        session.type("cancellable")
        session.send("Enter")
        session.send("c")
        #expect(session.waitFor("Cancel task"))
        session.send("Enter")
        let deadline = Date().addingTimeInterval(20)
        var said = ""
        while Date() < deadline {
            said = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            if said.contains("cancellable-waiter was cancelled") { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(said.contains("cancellable-waiter was cancelled"), "\(said)")
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"), "quitting stopped the program: \(session.capture())")
        #expect(session.capture().contains("was stopped with SIGTERM"))
    }
}

import AsyncTopClient
import AsyncTopModel
import Foundation
import Testing
import TmuxTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A process of three loops on one socket: the monitor fixture's own ("fixture"), one started
/// before its monitor ("workers", served from the start) and one started after it ("late",
/// which joins the socket, and with `--late-loop-seconds` leaves it when it closes).
@Suite(.offCooperativePool, .serialized, .enabled(if: BuiltBinary.monitorFixture != nil && BuiltBinary.asynctop != nil, "binaries not built"))
struct MultiLoopTests {
    func asynctop(_ arguments: String...) -> (status: Int32, output: String) {
        TmuxSession.run([BuiltBinary.asynctop!] + arguments)
    }

    func threeLoops(_ extra: [String] = []) throws -> FixtureProcess {
        try FixtureProcess(extra: ["--second-loop", "--late-loop"] + extra)
    }

    @Test func psAndPstreeShowEveryLoopOfTheProcess() throws {
        let child = try threeLoops()
        let json = asynctop("ps", child.socket, "--json")
        #expect(json.status == 0, "\(json.output)")
        let rows = try JSONDecoder().decode([ProcessTable.Row].self, from: Data(json.output.utf8))
        #expect(Set(rows.compactMap(\.loop)) == ["fixture", "workers", "late"])
        for loop in ["workers", "late"] {
            let mine = rows.filter { $0.loop == loop }
            #expect(Set(mine.map(\.name)) == ["main", "\(loop)-sleeper-1", "\(loop)-sleeper-2", "\(loop)-sleeper-3", "\(loop)-ticker"])
            let main = try #require(mine.first { $0.name == "main" })
            #expect(mine.allSatisfy { $0.executor == loop && ($0.name == "main" || $0.parent == main.id) })
        }
        #expect(rows.filter { $0.loop == "fixture" }.contains { $0.name == "parent" })
        // Task ids are the process's: no two rows share one.
        #expect(Set(rows.map(\.id)).count == rows.count)

        let text = asynctop("ps", child.socket)
        let lines = text.output.split(separator: "\n")
        #expect(lines.first?.hasPrefix("LOOP") == true, "\(text.output)")
        #expect(lines.contains { $0.hasPrefix("workers ") && $0.contains("workers-ticker") })

        let tree = asynctop("pstree", child.socket)
        let treeLines = tree.output.split(separator: "\n").map(String.init)
        let heads = treeLines.filter { $0.hasPrefix("loop ") }
        #expect(heads == ["loop fixture", "loop workers", "loop late"], "\(tree.output)")
        let workers = try #require(treeLines.firstIndex(of: "loop workers"))
        #expect(treeLines[workers + 1].hasPrefix("    main ("))
        #expect(treeLines[(workers + 2)...].prefix(4).contains { $0.contains("── workers-sleeper-1 (") })
        let roots = try JSONDecoder().decode([ProcessTable.Node].self, from: Data(asynctop("pstree", child.socket, "--json").output.utf8))
        #expect(roots.map(\.loop) == ["fixture", "workers", "late"] && roots.allSatisfy { $0.name == "main" })
    }

    @Test func loopPicksOneLoopAndAnUnknownNameSaysWhichThereAre() throws {
        let child = try threeLoops()
        let json = asynctop("ps", child.socket, "--json", "--loop", "workers")
        let rows = try JSONDecoder().decode([ProcessTable.Row].self, from: Data(json.output.utf8))
        #expect(rows.count == 5 && rows.allSatisfy { $0.loop == "workers" })
        // One loop: the table as for a process of one loop.
        #expect(asynctop("ps", child.socket, "--loop", "late").output.hasPrefix("ID"))
        #expect(!asynctop("pstree", child.socket, "--loop", "late").output.contains("loop "))
        let unknown = asynctop("ps", child.socket, "--loop", "nope")
        #expect(unknown.status == 1)
        #expect(unknown.output.contains("no loop named 'nope'; its loops: fixture, workers, late"), "\(unknown.output)")
    }

    @Test func aClientOfOneLoopSeesTheFirstOnly() throws {
        let child = try threeLoops()
        // Asynctop's clients before several loops, and any client that does not ask.
        let connection = try MonitorConnection(path: child.socket)
        var snapshot = Snapshot()
        var deltas = 0
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, deltas < 5 {
            switch try connection.next(timeout: 0.5) {
            case .loop(let entry)?: Issue.record("a loop message to a client that did not ask: \(entry)")
            case .delta(let update)?:
                #expect(update.loop == 0)
                snapshot.apply(update.delta)
                deltas += 1
            default: continue
            }
        }
        #expect(deltas == 5)
        #expect(!snapshot.tasks.isEmpty && snapshot.tasks.allSatisfy { $0.executor == "fixture" })
    }

    @Test func aLoopThatClosesLeavesTheSocketAndTheOthersStay() throws {
        let child = try threeLoops(["--late-loop-seconds", "2"])
        let connection = try MonitorConnection(path: child.socket, loops: true)
        var announced: [ServerMessage.LoopEntry] = []
        var loops = LoopSet()
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, !announced.contains(where: { $0.closed }) {
            switch try connection.next(timeout: 0.5) {
            case .hello(let hello)?: loops = LoopSet(hello: hello)
            case .loop(let entry)?:
                // Each loop is announced before its first delta.
                #expect(entry.closed || !loops.holds(entry.id) || entry.id == 0)
                announced.append(entry)
                loops.apply(entry)
            case .delta(let update)?:
                #expect(loops.holds(update.loop), "a delta of loop \(update.loop) before its announcement")
                loops.apply(update)
            default: continue
            }
        }
        #expect(announced.map(\.name) == ["fixture", "workers", "late", "late"])
        #expect(announced.last?.closed == true && announced.dropLast().allSatisfy { !$0.closed })
        #expect(loops.snapshots.map(\.loopName) == ["fixture", "workers"])
        let rows = try JSONDecoder().decode([ProcessTable.Row].self, from: Data(asynctop("ps", child.socket, "--json").output.utf8))
        #expect(Set(rows.compactMap(\.loop)) == ["fixture", "workers"])
    }

    @Test func cancelAndStacksReachEveryLoop() throws {
        let child = try threeLoops()
        let rows = try JSONDecoder().decode([ProcessTable.Row].self, from: Data(asynctop("ps", child.socket, "--json").output.utf8))
        let target = try #require(rows.first { $0.name == "workers-sleeper-2" })
        let late = try #require(rows.first { $0.name == "late-sleeper-1" })
        let connection = try MonitorConnection(path: child.socket, loops: true)
        connection.send(.cancel(id: 1, task: target.id, message: "from the test"))
        connection.send(.stacks(id: 2, tasks: [late.id, 999_999_999]))
        var cancelReply: ServerMessage?
        var stacks: [StackReply]?
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, cancelReply == nil || stacks == nil {
            switch try connection.next(timeout: 0.5) {
            case .reply(1, let result)?: cancelReply = .reply(id: 1, result: result)
            case .error(1, let code, let text)?: cancelReply = .error(id: 1, code: code, message: text)
            case .stacks(2, let replies)?: stacks = replies
            case .error(2, let code, let text)?: Issue.record("stacks: \(code): \(text)"); stacks = []
            default: continue
            }
        }
        #expect(cancelReply == .reply(id: 1, result: "requested"))
        // The loop that has the task answers for it; an id no loop has is said to be so.
        #expect(stacks?.first { $0.task == late.id }?.stack?.frames(all: false).isEmpty == false, "\(String(describing: stacks))")
        #expect(stacks?.first { $0.task == 999_999_999 }?.unavailable == "no such task")
        var cancelled = false
        for _ in 0..<50 where !cancelled {
            cancelled = asynctop("ps", child.socket, "--loop", "workers").output.split(separator: "\n")
                .contains { $0.contains("workers-sleeper-2") && $0.contains("cancelled") }
            if !cancelled { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(cancelled)
    }

    @Test func aRecordingHoldsEveryLoop() throws {
        let child = try threeLoops(["--record", "{dir}/loops.ndjson"])
        let recording = child.directory + "/loops.ndjson"
        // A few frames, then the end of the program: the file is whole up to its last line.
        Thread.sleep(forTimeInterval: 1)
        child.stop(signal: SIGTERM)
        let rows = try JSONDecoder().decode([ProcessTable.Row].self, from: Data(asynctop("ps", recording, "--json").output.utf8))
        #expect(Set(rows.compactMap(\.loop)) == ["fixture", "workers", "late"])
        #expect(rows.contains { $0.name == "late-ticker" && $0.loop == "late" })
    }

    @Test(.enabled(if: TmuxSession.isAvailable, "tmux is not installed"))
    func theDashboardShowsTheLoopsAsExecutorsWithTheirTasks() throws {
        let child = try threeLoops()
        let rows = try JSONDecoder().decode([ProcessTable.Row].self, from: Data(asynctop("ps", child.socket, "--json").output.utf8))
        let session = try TmuxSession(command: "'\(BuiltBinary.asynctop!)' attach '\(child.socket)'", cols: 140, rows: 45)
        let screen = session.waitFor(timeout: .seconds(30)) {
            $0.contains("workers-ticker") && $0.contains("late-ticker") && $0.contains("sleeper-3")
        }
        #expect(screen.contains("3 loops fixture, workers, late"), "\(screen)")
        for loop in ["fixture", "workers", "late"] { #expect(screen.contains("\(loop) (loop)"), "\(loop) in the executors") }
        // The counts are of every loop (between steps, each task of these is suspended).
        let header = screen.split(separator: "\n").first { $0.contains("Tasks ") } ?? ""
        #expect(rows.count > 15 && header.contains(" \(rows.filter { $0.state == "suspended" }.count) suspended"), "\(header)")
        // Cancel a task of the second loop with the keys: its line, then c, then Enter.
        session.send("/")
        session.type("workers-sleeper-3")
        session.send("Enter")
        session.send("c")
        #expect(session.waitFor("Cancel task"))
        session.send("Enter")
        #expect(session.waitFor { $0.split(separator: "\n").contains { $0.contains("workers-sleeper-3") && $0.contains("cancelled") } }
                    .contains("cancelled"))
        session.send("q")
        #expect(session.waitFor("asynctop-exit=0"))

        // One loop, by name.
        let one = try TmuxSession(command: "'\(BuiltBinary.asynctop!)' attach '\(child.socket)' --loop workers", cols: 140, rows: 45)
        let only = one.waitFor { $0.contains("workers-ticker") }
        #expect(only.contains("loop workers") && !only.contains("late-ticker") && !only.contains("─ parent"), "\(only)")
        one.send("q")
        let wrong = try TmuxSession(command: "'\(BuiltBinary.asynctop!)' attach '\(child.socket)' --loop nope", cols: 140, rows: 45)
        #expect(wrong.waitFor("no loop named 'nope'"))
        wrong.send("q")
    }
}

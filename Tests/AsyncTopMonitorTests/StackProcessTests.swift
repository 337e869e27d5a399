import AsyncTopClient
import AsyncTopModel
import Foundation
import Testing
import TmuxTestSupport

/// Async stacks read from another process: `asynctop ps --stacks` and `pstree --stacks`
/// against the monitor fixture's tasks parked at known places (release binaries in CI).
@Suite(.offCooperativePool, .serialized, .enabled(if: BuiltBinary.monitorFixture != nil && BuiltBinary.asynctop != nil, "binaries not built"))
struct StackProcessTests {
    func asynctop(_ arguments: String...) -> (status: Int32, output: String) {
        TmuxSession.run([BuiltBinary.asynctop!] + arguments)
    }

    /// Where the fixture says each of its parked tasks waits: (task, function, line), in order.
    func expectations(_ child: FixtureProcess) throws -> [(task: String, function: String, line: Int)] {
        let output = try String(contentsOfFile: child.outputPath, encoding: .utf8)
        return output.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 4, parts[0] == "expect", let number = Int(parts[3]) else { return nil }
            return (String(parts[1]), String(parts[2]), number)
        }
    }

    /// The lines a frame of the function around `line` of the fixture's Nesting.swift may
    /// name: a debug build names the await's line; a release build inlines a closure's awaits
    /// into the function (a task group's body) and names where its code goes on after the last
    /// of them. So: from `line` to the line after the function's last await, read from the
    /// source, never written here.
    func acceptedLines(from line: Int) throws -> ClosedRange<Int> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let source = try String(contentsOf: root.appendingPathComponent("Sources/asynctop-monitor-fixture/Nesting.swift"), encoding: .utf8)
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        // Lines are 1-based; the function's body ends at the first line that is a lone "}".
        let body = lines[(line - 1)...].prefix { $0 != "}" }
        let lastAwait = body.indices.last { body[$0].contains("await ") } ?? (line - 1)
        return line...(lastAwait + 2)
    }

    func describe(_ frames: [StackFrame]?) -> String {
        (frames ?? []).map(\.description).joined(separator: " ← ")
    }

    @Test func psStacksJSONNamesEachPlaceWithItsLine() throws {
        let child = try FixtureProcess(extra: ["--stacks"])
        let expected = try expectations(child)
        #expect(expected.count == 8, "the fixture said where its tasks wait")
        let ps = asynctop("ps", child.socket, "--stacks", "--json")
        #expect(ps.status == 0, "\(ps.output)")
        let rows = try JSONDecoder().decode([ProcessTable.Row].self, from: Data(ps.output.utf8))
        for (task, function, line) in expected {
            let row = try #require(rows.first { $0.name == task }, "ps lists \(task)")
            // The function's own frame (not a closure in it): in debug and release builds alike.
            let frame = row.stack?.first { $0.function.hasPrefix(function + "(") }
            let accepted = try acceptedLines(from: line)
            #expect(frame.map { accepted.contains($0.line ?? 0) } == true,
                    "\(task) waits in \(function) at line \(line) (or up to \(accepted.upperBound)): \(describe(row.stack)) \(row.stackProblem ?? "")")
            #expect(frame?.file?.hasSuffix("Nesting.swift") == true, "\(task): \(describe(row.stack))")
            #expect(row.stack?.contains { $0.isRuntime } == false, "runtime frames hidden by default: \(describe(row.stack))")
        }
        // Innermost first: level3, then level2, then level1.
        let nested = try #require(rows.first { $0.name == "nested" }?.stack)
        let order = ["level3", "level2", "level1"].map { name in nested.firstIndex { $0.function.hasPrefix(name) } }
        #expect(order.allSatisfy { $0 != nil } && order == order.sorted { ($0 ?? 0) < ($1 ?? 0) }, "\(describe(nested))")
        #expect(nested.first?.function.hasPrefix("level3") == true, "innermost first: \(describe(nested))")
        // The main task sleeps in the fixture's workload; ps without --stacks prints none.
        #expect(rows.first { $0.name == "main" }?.stack?.first?.function.hasPrefix("workload") == true)
        let plain = try JSONDecoder().decode([ProcessTable.Row].self, from: Data(asynctop("ps", child.socket, "--json").output.utf8))
        #expect(plain.allSatisfy { $0.stack == nil && $0.stackProblem == nil })
        // Every frame, the runtime's too.
        let all = try JSONDecoder().decode([ProcessTable.Row].self,
                                           from: Data(asynctop("ps", child.socket, "--stacks", "--all-frames", "--json").output.utf8))
        let everything = try #require(all.first { $0.name == "nested" }?.stack)
        #expect(everything.count > nested.count && everything.contains { $0.isRuntime }, "\(describe(everything))")
    }

    @Test func psAndPstreeStacksAsText() throws {
        let child = try FixtureProcess(extra: ["--stacks"])
        let expected = try expectations(child)
        let level3 = try #require(expected.first { $0.function == "level3" })
        let ps = asynctop("ps", child.socket, "--stacks")
        #expect(ps.status == 0, "\(ps.output)")
        let lines = ps.output.split(separator: "\n").map(String.init)
        let row = try #require(lines.firstIndex { $0.contains(" nested ") }, "\(ps.output)")
        #expect(lines[row + 1].hasPrefix("    at level3("), "\(ps.output)")
        #expect(lines[row + 1].hasSuffix("(Nesting.swift:\(level3.line))"), "\(ps.output)")
        #expect(lines.contains { $0.hasPrefix("    spawned at ") }, "the spawn site beside the stack")
        let tree = asynctop("pstree", child.socket, "--stacks")
        #expect(tree.status == 0)
        #expect(tree.output.contains("at level3(") && tree.output.contains("Nesting.swift:\(level3.line)"), "\(tree.output)")
    }

    @Test func theStacksRequestOnTheWire() throws {
        let child = try FixtureProcess(extra: ["--stacks"])
        let connection = try MonitorConnection(path: child.socket)
        defer { connection.close() }
        var snapshot = Snapshot()
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, !snapshot.tasks.contains(where: { $0.name == "nested" }) {
            if case .delta(let update)? = try connection.next(timeout: 0.5) { snapshot.apply(update.delta) }
        }
        let nested = try #require(snapshot.tasks.first { $0.name == "nested" })
        let main = try #require(snapshot.tasks.first { $0.name == "main" })
        func answer(to line: String) throws -> ServerMessage? {
            #expect(connection.sendRaw(Array((line + "\n").utf8)))
            let until = Date().addingTimeInterval(10)
            while Date() < until {
                switch try connection.next(timeout: 0.5) {
                // A delta that comes before the answer may already carry the filed stack.
                case .delta(let update)?: snapshot.apply(update.delta)
                case .hello?, nil: continue
                case let other?: return other
                }
            }
            return nil
        }
        guard case .stacks(5, let replies)? = try answer(to: #"{"type":"stacks","id":5,"tasks":[\#(nested.id),\#(main.id),0,99999999]}"#) else {
            Issue.record("no stacks reply")
            return
        }
        #expect(replies.map(\.task) == [nested.id, main.id, 0, 99_999_999], "in the order asked")
        #expect(replies[0].stack?.frames.contains { $0.function.hasPrefix("level3") } == true)
        #expect(replies[1].stack?.frames.first { !$0.isRuntime }?.file?.hasSuffix("main.swift") == true, "main: \(replies[1])")
        #expect(replies[2].unavailable == "no such task" && replies[3].unavailable == "no such task")
        // Filed on the task: the next deltas carry it.
        var carried = snapshot.task(nested.id)?.stack != nil
        let until = Date().addingTimeInterval(5)
        while Date() < until, !carried {
            if case .delta(let update)? = try connection.next(timeout: 0.5) {
                snapshot.apply(update.delta)
                carried = snapshot.task(nested.id)?.stack != nil
            }
        }
        #expect(carried, "the stack came in a delta")
        for bad in [#"{"type":"stacks","id":6,"tasks":"all"}"#, #"{"type":"stacks","id":7,"tasks":[-1]}"#,
                    #"{"type":"stacks","id":8,"tasks":[1.5]}"#] {
            guard case .error(_, let code, let message)? = try answer(to: bad) else {
                Issue.record("no error for \(bad)")
                continue
            }
            #expect(code == "bad-field" && message.contains("tasks"), "\(bad): \(code) \(message)")
        }
        // All suspended tasks.
        guard case .stacks(9, let everyone)? = try answer(to: #"{"type":"stacks","id":9}"#) else {
            Issue.record("no stacks reply for every task")
            return
        }
        #expect(everyone.count >= 8 && everyone.allSatisfy { $0.stack != nil })
    }

    /// A copy of the fixture passed through `tool` (strip or objcopy) with `arguments`.
    static func stripped(_ tool: String, _ arguments: [String]) -> (String, String) throws -> String {
        { fixture, directory in
            let copy = directory + "/fixture-stripped"
            let result = TmuxSession.run([tool] + arguments + [fixture, copy])
            guard result.status == 0 else { throw FixtureProcess.Failure("\(tool) failed: \(result.output)") }
            return copy
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/objcopy"), "objcopy is not installed"))
    func aBinaryWithoutDebugInformationGivesNamesAndSaysSo() throws {
        let child = try FixtureProcess(extra: ["--stacks"], prepare: Self.stripped("/usr/bin/objcopy", ["--strip-debug"]))
        let rows = try JSONDecoder().decode([ProcessTable.Row].self,
                                            from: Data(asynctop("ps", child.socket, "--stacks", "--json").output.utf8))
        let nested = try #require(rows.first { $0.name == "nested" })
        // Names still, from the symbol table (a release build has inlined level1–3 into the
        // task's closure: without debug information they cannot be told apart).
        #expect(nested.stack?.contains { $0.function.hasPrefix("level3") || $0.function.contains("spawnParkedTasks") } == true,
                "names still: \(describe(nested.stack))")
        #expect(nested.stack?.isEmpty == false && nested.stack?.allSatisfy { $0.line == nil } == true, "no lines: \(describe(nested.stack))")
        #expect(nested.stackProblem?.contains("no debug information") == true, "\(nested.stackProblem ?? "no problem said")")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/objcopy"), "objcopy is not installed"))
    func aBinaryStrippedOfSymbolsGivesOffsetsAndSaysSo() throws {
        let child = try FixtureProcess(extra: ["--stacks"], prepare: Self.stripped("/usr/bin/objcopy", ["--strip-all"]))
        let ps = asynctop("ps", child.socket, "--stacks", "--json")
        #expect(ps.status == 0, "\(ps.output)")
        let rows = try JSONDecoder().decode([ProcessTable.Row].self, from: Data(ps.output.utf8))
        let nested = try #require(rows.first { $0.name == "nested" })
        // Never a wrong name: no level3, and what there is says it has no symbols.
        #expect(nested.stack?.contains { $0.function.contains("level3") } == false, "\(describe(nested.stack))")
        #expect(nested.stackProblem?.contains("no symbols") == true, "\(nested.stackProblem ?? "no problem said") \(describe(nested.stack))")
        let text = asynctop("ps", child.socket, "--stacks").output
        #expect(text.contains("fixture-stripped+0x"), "\(text)")
    }

    @Test func aRecordingKeepsTheStacksOfTasksThatWaitedLong() throws {
        let child = try FixtureProcess(extra: ["--stacks", "--record", "{dir}/run.ndjson"])
        let recording = child.directory + "/run.ndjson"
        let expected = try expectations(child)
        // Sampled once a task has waited 0.1 s; a few frames later they are in the file.
        var rows: [ProcessTable.Row] = []
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            Thread.sleep(forTimeInterval: 0.3)
            let ps = asynctop("ps", recording, "--stacks", "--json")
            rows = (try? JSONDecoder().decode([ProcessTable.Row].self, from: Data(ps.output.utf8))) ?? []
            if rows.first(where: { $0.name == "nested" })?.stack != nil { break }
        }
        let level3 = try #require(expected.first { $0.function == "level3" })
        let nested = rows.first { $0.name == "nested" }
        #expect(nested?.stack?.first?.function.hasPrefix("level3") == true, "\(describe(nested?.stack))")
        #expect(nested?.stack?.first?.line == level3.line)
    }
}

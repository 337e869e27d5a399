import Foundation
import Testing
import TmuxTestSupport

extension HeadlessRuns {
    /// `asynctop demo NAME --headless`, the real binary.
    @Suite struct DemoCommandTests {
        @Test func headlessJSONIsOneObjectPerLineEndingWithTheSummary() throws {
            let (status, output) = TmuxSession.run([BuiltBinary.asynctop!, "demo", "gather", "--headless", "--json", "--speed", "4"])
            #expect(status == 0, "\(output)")
            let objects = try output.split(separator: "\n").map { line in
                try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            }
            let summary = try #require(objects.last)
            #expect(summary["event"] as? String == "summary")
            #expect(summary["ok"] as? Bool == true)
            #expect(summary["expected"] as? String == "[a, b, c]")
            // The loop's step times and latencies over the run, in nanoseconds.
            let steps = try #require(summary["steps"] as? Int)
            for key in ["step_time", "latency"] {
                let p = try #require(summary[key] as? [String: Int], "\(key) in \(summary)")
                #expect(p["count"] == steps, "\(key)")
                #expect(p["p50"]! <= p["p90"]! && p["p90"]! <= p["p99"]! && p["p99"]! <= p["max"]!, "\(key): \(p)")
            }
            let done = objects.filter { $0["event"] as? String == "done" }.compactMap { $0["name"] as? String }
            #expect(done.filter { ["a", "b", "c"].contains($0) } == ["b", "a", "c"])
            #expect(objects.dropLast().allSatisfy { $0["t"] is Double && $0["task"] is Int })
        }

        @Test func headlessTextEndsWithTheLoopsTimingsThenTheSummary() throws {
            let (status, output) = TmuxSession.run([BuiltBinary.asynctop!, "demo", "gather", "--headless", "--speed", "4"])
            #expect(status == 0, "\(output)")
            let lines = output.split(separator: "\n").map(String.init)
            #expect(lines.last?.hasPrefix("ok: ") == true, "\(lines.suffix(3))")
            let timing = try #require(lines.dropLast().last)
            #expect(timing.hasPrefix("loop: ") && timing.contains(" steps; step time p50 ") && timing.contains("; latency p50 "),
                    "\(timing)")
            #expect(timing.contains(" max "))
        }

        @Test func aLintIsAnEventWithItsKindAndMessage() throws {
            let (status, output) = TmuxSession.run([BuiltBinary.asynctop!, "demo", "blocking-the-loop", "--headless", "--json"])
            #expect(status == 0, "\(output)")
            let objects = try output.split(separator: "\n").map { line in
                try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            }
            let lint = try #require(objects.first { $0["event"] as? String == "lint" })
            #expect(lint["lint"] as? String == "long-step")
            #expect(lint["name"] as? String == "blocker")
            #expect((lint["message"] as? String ?? "").contains("held the loop for"))
            let summary = try #require(objects.last)
            #expect(summary["lints"] as? [String] == ["long-step"])
            #expect(summary["expected_lints"] as? [String] == ["long-step"])
        }

        @Test func theDeadlockLintSaysWhereEachPartyWaits() throws {
            // The line of the demo's source where each task waits on the other's lock: read
            // from the source, never written here.
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let source = try String(contentsOf: root.appendingPathComponent("demos/DeadlockDemo.swift"), encoding: .utf8)
            let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
            let awaitIndex = try #require(lines.firstIndex { $0.contains("try await b.withLock {}") })
            // A debug build names the await's line. In a release build, Lock.withLock is inlined
            // there and the task's code after the await is only the ends of its closures: one
            // of the closing braces that follow.
            let closings = lines[(awaitIndex + 1)...].prefix { $0.trimmingCharacters(in: .whitespaces) == "}" }.indices
            #expect(!closings.isEmpty)
            let place = "DeadlockDemo.swift:(" + ([awaitIndex] + closings).map { String($0 + 1) }.joined(separator: "|") + ")"
            let (status, output) = TmuxSession.run([BuiltBinary.asynctop!, "demo", "deadlock", "--headless", "--json"])
            #expect(status == 0, "\(output)")
            let lint = try #require(try objects(output).first { $0["event"] as? String == "lint" })
            let message = lint["message"] as? String ?? ""
            #expect(message.range(of: #"left \(\d+\) waits on Lock second at \#(place), held by right \(\d+\), which waits on Lock first at \#(place)"#,
                                  options: .regularExpression) != nil, "\(message)")
        }

        /// The JSON objects of a headless run's output, one a line.
        func objects(_ output: String) throws -> [[String: Any]] {
            try output.split(separator: "\n").map { line in
                try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            }
        }

        @Test func processPoolRunsCopiesOfAsynctopAsItsWorkers() async throws {
            let (status, output) = await TmuxSession.runOffPool([BuiltBinary.asynctop!, "demo", "process-pool", "--headless", "--json", "--speed", "4",
                 // 100 ms of real time, as at speed 1: this checks the workers, and a debug build's
                 // first step (making the pool) can take 50 ms on a loaded machine.
                 "--slow-step-ms", "400"])
            #expect(status == 0, "\(output)")
            let objects = try objects(output)
            #expect(objects.last?["ok"] as? Bool == true)
            // "fib(34) = 5702887 from pid 4242 after 0.31 s"
            let results = objects.filter { $0["event"] as? String == "output" }.compactMap { $0["text"] as? String }
                .filter { $0.hasPrefix("fib(") }
            #expect(results.count == 6)
            let pids = Set(results.compactMap { $0.components(separatedBy: " pid ").last.flatMap { Int32($0.prefix { $0.isNumber }) } })
            #expect(pids.count == 2)
            // The workers ended with the pool: none was left behind, reparented or a zombie.
            for pid in pids { #expect(kill(pid, 0) == -1 && errno == ESRCH, "worker \(pid) is gone") }
        }

        @Test func durationEndsTheStressDemoAndMustBePositive() async throws {
            let clock = ContinuousClock()
            let start = clock.now
            let (status, output) = await TmuxSession.runOffPool([BuiltBinary.asynctop!, "demo", "stress", "--headless", "--json", "--duration", "0.5"])
            // Well before the default 30 s.
            #expect(clock.now - start < .seconds(15))
            let summary = try #require(try objects(String(output.split(separator: "\n").last ?? "")).last, "\(output.suffix(2000))")
            #expect(summary["observed"] as? String == "10111 tasks ran in a tree of depth 4; all finished or were cancelled at the end")
            // The binary checks the lints' default wall-clock limits, which a busy machine can
            // stretch a step past (see ExecutorDemoTests); only those may fail the run here.
            let lints = Set(summary["lints"] as? [String] ?? [])
            #expect(lints.isSubset(of: ["long-step", "cancel-not-acknowledged"]), "\(lints)")
            #expect(status == (lints.isEmpty ? 0 : 1))

            let (refused, message) = TmuxSession.run([BuiltBinary.asynctop!, "demo", "stress", "--headless", "--duration", "0"])
            #expect(refused == 64)
            #expect(message.contains("--duration must be a number from 0.01 to 86400 seconds, not 0"), "\(message)")
        }

        @Test func aRecordedHeadlessRunReplaysWithItsLints() async throws {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("deadlock-\(getpid()).ndjson").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            let (status, output) = await TmuxSession.runOffPool(
                [BuiltBinary.asynctop!, "demo", "deadlock", "--headless", "--speed", "2", "--record", path])
            #expect(status == 0, "\(output)")
            // Slowed ten times, the replay shows the deadlock (0.05 s to 0.5 s of the run) for
            // seconds: the lints are found again from the recorded snapshots.
            let replay = try TmuxSession(command: "'\(BuiltBinary.asynctop!)' replay --speed 0.1 '\(path)'", cols: 120, rows: 30)
            #expect(replay.waitFor { $0.contains("⚠ left") && $0.contains("⚠ right") }.contains("Lock second"))
            replay.send("p")
            replay.send("l")
            // The whole frame: a capture can catch the pane half drawn (its title before the
            // selected lint's full message at the bottom).
            let lints = replay.waitFor { $0.contains("Lints (") && $0.range(of: #"left \(\d+\) waits on Lock second"#, options: .regularExpression) != nil }
            #expect(lints.contains("deadlock") && lints.range(of: #"left \(\d+\) waits on Lock second"#, options: .regularExpression) != nil, "\(lints)")
            replay.send("q")

            let (refused, message) = TmuxSession.run([BuiltBinary.asynctop!, "demo", "gather", "--headless", "--record", "/nonexistent/x"])
            #expect(refused == 1)
            #expect(message.contains("cannot create /nonexistent/x"))
        }

        @Test func theLintLimitsAreOptions() async throws {
            // Given 5 s to take the error, the demo (which waits 1.5 s) sees no lint: not what it expects.
            let (status, output) = await TmuxSession.runOffPool(
                [BuiltBinary.asynctop!, "demo", "exception-never-retrieved", "--headless", "--json", "--speed", "2", "--unretrieved-ms", "5000"])
            let summary = try #require(try objects(String(output.split(separator: "\n").last ?? "")).last, "\(output)")
            #expect(summary["lints"] as? [String] == [])
            #expect(summary["expected_lints"] as? [String] == ["error-never-retrieved"])
            #expect(status == 1)
            for flag in ["--cancel-ack-ms", "--unretrieved-ms"] {
                let (refused, message) = TmuxSession.run([BuiltBinary.asynctop!, "demo", "gather", "--headless", flag, "0"])
                #expect(refused == 64)
                #expect(message.contains("\(flag) must be a number of milliseconds above 0"), "\(message)")
            }
        }

        @Test func anUnknownDemoListsTheDemosWithStatus2() {
            let (status, output) = TmuxSession.run([BuiltBinary.asynctop!, "demo", "no-such-demo", "--headless"])
            #expect(status == 2)
            #expect(output.contains("gather") && output.contains("cancel-cascade"))
        }
    }
}

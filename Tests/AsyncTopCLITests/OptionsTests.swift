import Foundation
import Testing
import TmuxTestSupport

/// The numbers the commands take, refused outside their range with status 64 before
/// anything runs; and the display options every dashboard command shares.
@Suite(.offCooperativePool, .enabled(if: BuiltBinary.asynctop != nil, "asynctop not found next to the test bundle"))
struct OptionsTests {
    func asynctop(_ arguments: String...) -> (status: Int32, output: String) {
        TmuxSession.run([BuiltBinary.asynctop!] + arguments)
    }

    /// Accepted before: `inf` and `1e300` ran the demo with every lint limit 0 (false
    /// lints), `nan` and `0.001` too; `replay --speed 0` froze on its first frame.
    @Test(arguments: ["inf", "-inf", "1e300", "nan", "0", "-1", "0.001", "1001"])
    func aSpeedOutOfRangeIsRefused(value: String) {
        for command in [["demo", "gather", "--headless"], ["replay", "/nonexistent/recording.ndjson"]] {
            let (status, output) = TmuxSession.run([BuiltBinary.asynctop!] + command + ["--speed=\(value)"])
            #expect(status == 64, "\(command) --speed=\(value): \(output)")
            #expect(output.contains("--speed must be a number from 0.01 to 1000"), "\(output)")
        }
    }

    @Test(arguments: ["inf", "1e300", "nan", "0", "-5", "86401"])
    func aDurationOutOfRangeIsRefused(value: String) {
        for command in [["demo", "stress", "--headless"], ["demo", "stress"], ["dashboard", "--demo", "stress"]] {
            let (status, output) = TmuxSession.run([BuiltBinary.asynctop!] + command + ["--duration=\(value)"])
            #expect(status == 64, "\(command) --duration=\(value): \(output)")
            #expect(output.contains("--duration must be a number from 0.01 to 86400 seconds"), "\(output)")
        }
    }

    @Test(arguments: ["--slow-step-ms", "--cancel-ack-ms", "--unretrieved-ms"])
    func aLintLimitOutOfRangeIsRefused(flag: String) {
        for value in ["inf", "1e300", "nan", "0", "-5", "2.5", "3600001"] {
            let (status, output) = asynctop("demo", "gather", "--headless", "\(flag)=\(value)")
            #expect(status == 64, "\(flag)=\(value): \(output)")
            #expect(output.contains(flag), "\(output)")
        }
    }

    @Test func theEdgesOfTheRangesAreAccepted() async {
        // Slowest and shortest: 0.01 s of demo time is 1 s at speed 0.01.
        let (status, output) = await TmuxSession.runOffPool(
            [BuiltBinary.asynctop!, "demo", "stress", "--headless", "--speed", "0.01", "--duration", "0.01", "--unretrieved-ms", "1"])
        // It ran (exit 0 or 1 by its lints), it was not refused.
        #expect(status == 0 || status == 1, "\(output.suffix(500))")
        #expect(output.contains("10111 tasks ran in a tree of depth 4"), "\(output.suffix(500))")
        let (fastest, fast) = asynctop("demo", "gather", "--headless", "--speed", "1000", "--slow-step-ms", "3600000",
                                       "--cancel-ack-ms", "3600000")
        #expect(fastest == 0 || fastest == 1, "\(fast)")
        #expect(fast.contains("expected \"[a, b, c]\""), "\(fast)")
    }

    /// `--help` of each command that opens the dashboard shows the same display options,
    /// and the ranges of its numbers.
    @Test func everyDashboardCommandTakesTheDisplayOptions() {
        var helps: [String: [String]] = [:]
        for command in ["dashboard", "demo", "replay", "attach"] {
            let (status, output) = asynctop(command, "--help")
            #expect(status == 0, "\(command): \(output)")
            let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            let display = lines.filter { $0.hasPrefix("--ascii") || $0.hasPrefix("--no-color") }
            #expect(display.count == 2, "\(command) --help: \(output)")
            helps[command] = display
        }
        #expect(Set(helps.values).count == 1, "\(helps)")
        #expect(asynctop("demo", "--help").output.contains("0.01 to 1000"))
        #expect(asynctop("replay", "--help").output.contains("0.01 to 1000"))
        #expect(asynctop("demo", "--help").output.contains("0.01 to 86400"))
    }

    /// `demo NAME` without --headless hands its display options to the dashboard; without a
    /// terminal it says so (status 2), having accepted them.
    @Test func demoAndReplayAcceptTheDisplayOptions() {
        let (status, output) = asynctop("demo", "gather", "--ascii", "--no-color")
        #expect(status == 2, "\(output)")
        #expect(!output.contains("Unknown option"), "\(output)")
        let (replayStatus, replayOutput) = asynctop("replay", "/nonexistent/recording.ndjson", "--ascii", "--no-color")
        #expect(replayStatus == 1 && replayOutput.contains("cannot read"), "\(replayOutput)")
    }
}

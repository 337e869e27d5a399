import ArgumentParser
import AsyncTopModel

/// The lints' limits, shared by every command that opens the dashboard.
struct LintOptions: ParsableArguments {
    @Option(name: .customLong("slow-step-ms"), help: ArgumentHelp(
        "A step that holds the loop longer than this many milliseconds is a long-step lint.", valueName: "N"))
    var slowStepMs = 100

    /// An hour: far past any step worth flagging, and far from overflowing nanoseconds.
    static let maximum = 3_600_000

    func validate() throws {
        guard slowStepMs > 0 else {
            throw ValidationError("--slow-step-ms must be a number of milliseconds above 0, not \(slowStepMs)")
        }
        guard slowStepMs <= Self.maximum else {
            throw ValidationError("--slow-step-ms must be at most \(Self.maximum) (an hour), not \(slowStepMs)")
        }
    }

    var thresholds: LintThresholds { LintThresholds(longStep: Nanos(slowStepMs) * 1_000_000) }
}

import ArgumentParser
import AsyncTopModel

/// The lints' limits, shared by every command that shows lints.
struct LintOptions: ParsableArguments {
    @Option(name: .customLong("slow-step-ms"), help: ArgumentHelp(
        "A step that holds the loop longer than this many milliseconds is a long-step lint.", valueName: "N"))
    var slowStepMs = 100

    @Option(name: .customLong("cancel-ack-ms"), help: ArgumentHelp(
        "A cancellation the task has not seen (no await threw, it did not end) after this many milliseconds is a cancel-not-acknowledged lint.",
        valueName: "N"))
    var cancelAckMs = 1_000

    @Option(name: .customLong("unretrieved-ms"), help: ArgumentHelp(
        "A failed task whose error no one took within this many milliseconds is an error-never-retrieved lint.",
        valueName: "N"))
    var unretrievedMs = 1_000

    /// An hour: far past any limit worth setting, and far from overflowing nanoseconds.
    static let maximum = 3_600_000

    func validate() throws {
        for (flag, value) in [("--slow-step-ms", slowStepMs), ("--cancel-ack-ms", cancelAckMs), ("--unretrieved-ms", unretrievedMs)] {
            guard value > 0 else {
                throw ValidationError("\(flag) must be a number of milliseconds above 0, not \(value)")
            }
            guard value <= Self.maximum else {
                throw ValidationError("\(flag) must be at most \(Self.maximum) (an hour), not \(value)")
            }
        }
    }

    var thresholds: LintThresholds {
        LintThresholds(longStep: Nanos(slowStepMs) * 1_000_000, cancelAcknowledge: Nanos(cancelAckMs) * 1_000_000,
                       errorRetrieve: Nanos(unretrievedMs) * 1_000_000)
    }

    /// The options as arguments, to hand them to another command.
    var arguments: [String] {
        ["--slow-step-ms", "\(slowStepMs)", "--cancel-ack-ms", "\(cancelAckMs)", "--unretrieved-ms", "\(unretrievedMs)"]
    }
}

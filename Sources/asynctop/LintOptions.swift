import ArgumentParser
import AsyncTopModel

/// The lints' limits, shared by every command that shows lints.
struct LintOptions: ParsableArguments {
    @Option(name: .customLong("slow-step-ms"), help: ArgumentHelp(
        "A step that holds the loop longer than this many milliseconds (1 to 3600000) is a long-step lint.", valueName: "N"))
    var slowStepMs = 100

    @Option(name: .customLong("cancel-ack-ms"), help: ArgumentHelp(
        "A cancellation the task has not seen (no await threw, it did not end) after this many milliseconds (1 to 3600000) is a cancel-not-acknowledged lint.",
        valueName: "N"))
    var cancelAckMs = 1_000

    @Option(name: .customLong("unretrieved-ms"), help: ArgumentHelp(
        "A failed task whose error no one took within this many milliseconds (1 to 3600000) is an error-never-retrieved lint.",
        valueName: "N"))
    var unretrievedMs = 1_000

    @Option(name: .customLong("read-wait-ms"), help: ArgumentHelp(
        "A task waiting this many milliseconds (1 to 3600000) to read from a socket or pipe, with no timeout around the read, is a read-without-timeout lint.",
        valueName: "N"))
    var readWaitMs = 10_000

    /// An hour: far past any limit worth setting, and far from overflowing nanoseconds.
    static let maximum = 3_600_000

    func validate() throws {
        for (flag, value) in [("--slow-step-ms", slowStepMs), ("--cancel-ack-ms", cancelAckMs), ("--unretrieved-ms", unretrievedMs),
                              ("--read-wait-ms", readWaitMs)] {
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
                       errorRetrieve: Nanos(unretrievedMs) * 1_000_000, ioRead: Nanos(readWaitMs) * 1_000_000)
    }
}

/// How the dashboard draws, shared by every command that opens it.
struct DisplayFlags: ParsableArguments {
    @Flag(help: "Draw with ASCII glyphs only (automatic when the locale is not UTF-8).")
    var ascii = false

    @Flag(name: .customLong("no-color"), help: "Draw without colours (as NO_COLOR does).")
    var noColor = false
}

/// The limits of the options that take a number of seconds or a speed: a value outside
/// them (0, a negative, `inf`, `nan`, `1e300`) is refused with status 64, never run with.
enum NumberOption {
    /// A speed: how many times faster than real time.
    static let speeds = 0.01...1_000.0
    /// A duration in seconds: up to a day.
    static let durations = 0.01...86_400.0

    /// The range as help text says it: "0.01 to 1000".
    static func describe(_ range: ClosedRange<Double>) -> String { "\(format(range.lowerBound)) to \(format(range.upperBound))" }

    /// Refuses `value` for `flag` unless it is a finite number in `range`.
    static func check(_ value: Double, _ flag: String, in range: ClosedRange<Double>, unit: String = "") throws {
        guard value.isFinite, range.contains(value) else {
            throw ValidationError("\(flag) must be a number from \(describe(range))\(unit), not \(format(value))")
        }
    }

    /// 1000 rather than 1000.0; nan and inf as such.
    private static func format(_ value: Double) -> String {
        value.isFinite && value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }
}

import AsyncTopModel
import CAsyncTopSupport
import Foundation

/// The monotonic clock every loop time is read from, in nanoseconds.
enum MonotonicClock {
    @inline(__always)
    static func now() -> UInt64 { asynctop_monotonic_ns() }
}

/// Converts between the monotonic clock and the loops' time line, which starts at zero
/// when the process's first loop is made.
///
/// One time line for every loop of a process: the tasks of several loops served on one
/// socket are then on one clock, and a client shows them side by side as they are.
struct LoopTimeBase: Sendable {
    let origin: UInt64
    /// Unix time of the origin, in seconds.
    let epoch: Double

    /// The process's time line.
    static let process = LoopTimeBase(origin: MonotonicClock.now(), epoch: Date().timeIntervalSince1970)

    private init(origin: UInt64, epoch: Double) {
        self.origin = origin
        self.epoch = epoch
    }

    @inline(__always)
    func now() -> Nanos { MonotonicClock.now() &- origin }
}

extension Double {
    /// Seconds as nanoseconds, for a duration already checked to be finite and non-negative.
    var asNanos: UInt64 { self >= 1.8e10 ? UInt64.max / 2 : UInt64((self * 1e9).rounded()) }
}

@preconcurrency import CNcursesw
#if canImport(Glibc)
import Glibc
#endif

/// Restores the terminal when SIGINT or SIGTERM arrives, then dies of the same signal,
/// so the shell sees the usual status (130, 143) and a usable terminal.
enum SignalRestorer {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    static func install() {
        for signalNumber in signals {
            signal(signalNumber) { received in
                endwin()
                signal(received, SIG_DFL)
                raise(received)
            }
        }
    }

    static func uninstall() {
        for signalNumber in signals { signal(signalNumber, SIG_DFL) }
    }
}

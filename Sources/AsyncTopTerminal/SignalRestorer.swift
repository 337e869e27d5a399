@preconcurrency import CNcursesw
#if canImport(Glibc)
import Glibc
#endif

/// Restores the terminal when SIGINT or SIGTERM arrives, then dies of the same signal,
/// so the shell sees the usual status (130, 143) and a usable terminal.
enum SignalRestorer {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    static func install() {
        // A parent may have started us with these blocked (a thread pool's mask survives
        // fork and exec); the dashboard must still stop on them, and see resizes (SIGWINCH).
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signalNumber in signals + [SIGWINCH] { sigaddset(&unblock, signalNumber) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
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

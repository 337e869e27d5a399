import CAsyncTopTerminalSupport
@preconcurrency import CNcursesw
#if canImport(Glibc)
import Glibc
#endif

/// Gives the terminal back when the process dies while the dashboard has it.
///
/// SIGINT, SIGTERM and SIGHUP restore it and end the process with the same signal, so the
/// shell sees the usual status (130, 143). A crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
/// SIGABRT, SIGTRAP) restores it before the Swift runtime's crash report, which then goes
/// to the normal screen. The handlers (in C: `CAsyncTopTerminalSupport`) only write the
/// reset sequences computed here in advance and set the saved terminal mode back, both
/// async-signal-safe.
enum SignalRestorer {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Keeps the terminal's mode as the shell left it. Call before curses changes it.
    static func saveMode() { _ = asynctop_terminal_save_mode() }

    /// Arms the handlers, with this terminal's reset sequences: call once curses has loaded
    /// the terminal's description.
    static func install() {
        // A parent may have started us with these blocked (a thread pool's mask survives
        // fork and exec); the dashboard must still stop on them, and see resizes (SIGWINCH).
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signalNumber in signals + [SIGWINCH] { sigaddset(&unblock, signalNumber) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        asynctop_terminal_arm(resetSequence())
    }

    static func uninstall() { asynctop_terminal_disarm() }

    /// Plain attributes, keypad off, off the alternate screen, cursor shown: what `endwin`
    /// sends, from the terminal's own description.
    static func resetSequence() -> String {
        ["sgr0", "rmkx", "rmcup", "cnorm"].compactMap(capability).joined()
    }

    /// A string capability of the current terminal, without padding ("$<5>"); nil when absent.
    static func capability(_ name: String) -> String? {
        guard let pointer = tigetstr(name), Int(bitPattern: pointer) != -1 else { return nil }
        var text = String(cString: pointer)
        while let start = text.range(of: "$<"), let end = text[start.upperBound...].firstIndex(of: ">") {
            text.removeSubrange(start.lowerBound...end)
        }
        return text
    }
}

/// A crash on purpose, for the tests of the restore after a crash: with
/// `ASYNCTOP_TEST_CRASH=1` in the environment, the dashboard traps (SIGILL) right after
/// drawing its first screen; `=segv` makes it fault, `=abort` abort. Test-only: not for users.
enum CrashForTesting {
    private static let request = getenv("ASYNCTOP_TEST_CRASH").map { String(cString: $0) }

    static func crashIfAsked() {
        guard let request, !request.isEmpty else { return }
        switch request {
        case "segv": UnsafeMutablePointer<Int>(bitPattern: 8)!.pointee = 1
        case "abort": abort()
        default: fatalError("ASYNCTOP_TEST_CRASH: crashing on purpose")
        }
    }
}

import CAsyncTopSupport

/// Monitor socket files removed when SIGTERM ends the process.
///
/// A server's socket is removed when it stops; a process killed by SIGTERM never gets
/// there. The first socket made installs a SIGTERM handler, only if the program has none
/// (its action is SIG_DFL): it unlinks the live socket files with async-signal-safe calls,
/// then raises SIGTERM again with the default action, so the process still ends as killed
/// by SIGTERM. A program that has its own handler keeps it, and may call
/// ``MonitorServer/removeSocketFiles()`` from it.
enum SocketCleanup {
    static func remember(_ path: String) { _ = asynctop_remember_monitor_socket(path) }
    static func forget(_ path: String) { asynctop_forget_monitor_socket(path) }
    static var handlerInstalled: Bool { asynctop_monitor_cleanup_installed() != 0 }
}

extension MonitorServer {
    /// Removes the socket file of every server of this process still serving, using only
    /// async-signal-safe calls: for a signal handler of the program's own (see
    /// ``SocketCleanup``). The servers are not stopped.
    public static func removeSocketFiles() { asynctop_unlink_monitor_sockets() }
}

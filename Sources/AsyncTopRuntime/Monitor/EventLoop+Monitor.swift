import AsyncTopModel
import Foundation

extension EventLoop {
    /// Starts serving this loop on a Unix domain socket for `asynctop attach`, `ps` and
    /// `pstree`. Stop it with ``MonitorServer/stop()``; it also ends when the loop closes.
    /// - Throws: ``MonitorError``.
    public func startMonitor(_ configuration: MonitorConfiguration = .socket()) throws -> MonitorServer {
        try MonitorServer(loop: self, configuration: configuration)
    }

    /// Starts the monitor `configuration` asks for; a failure of a monitor that is not
    /// required (the environment variable's) is a warning on standard error.
    /// The environment's configuration is served once per process (see
    /// ``EnvironmentMonitor``): nil when another loop already serves it.
    func startMonitorIfAsked(_ configuration: MonitorConfiguration?) throws -> MonitorServer? {
        guard let configuration else { return nil }
        if configuration.isFromEnvironment && !EnvironmentMonitor.claim() { return nil }
        do {
            let server = try startMonitor(configuration)
            if configuration.everyLoop { ProcessMonitor.adopt(server) }
            return server
        } catch {
            if configuration.required { throw error }
            FileHandle.standardError.write(Data("asynctop: \(error); running without a monitor\n".utf8))
            return nil
        }
    }
}

import ArgumentParser
import AsyncTopExporter
import AsyncTopSync
import Foundation

/// `asynctop exporter TARGET…`: monitored programs as Prometheus metrics over HTTP.
struct ExporterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exporter",
        abstract: "Serve monitored programs' loops as Prometheus metrics (GET /metrics).",
        discussion: """
        Each TARGET is a monitor socket, or a directory whose sockets are picked up as programs \
        come and go. Listens on \(ListenAddress.default) by default; an address beyond this \
        machine needs --allow-remote.
        """)

    @Argument(help: "Monitor sockets, or directories of them.")
    var targets: [String]

    @Option(help: ArgumentHelp("Where to listen: HOST:PORT, [IPV6]:PORT or :PORT (port 0: any free one).", valueName: "HOST:PORT"))
    var listen = ListenAddress.default

    @Flag(help: "Allow an address other than loopback (the metrics are then readable by anyone who can reach it).")
    var allowRemote = false

    @OptionGroup var lints: LintOptions

    var address: ListenAddress {
        get throws {
            do { return try ListenAddress.parse(listen, allowRemote: allowRemote) } catch { throw ValidationError("--listen: \(error)") }
        }
    }

    func validate() throws {
        guard !targets.isEmpty else { throw ValidationError("give at least one TARGET: a monitor socket or a directory of them") }
        _ = try address
    }

    func run() throws {
        let address = try address
        let say: @Sendable (String) -> Void = { FileHandle.standardError.write(Data("asynctop exporter: \($0)\n".utf8)) }
        let targets = TargetSet(arguments: targets, note: say)
        targets.refresh()
        let server = ExporterServer(address: address, targets: targets, thresholds: lints.thresholds)
        let outcome = Locked<(any Error)?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await server.run { port in
                    let shown = ListenAddress(host: address.host, port: port, addresses: address.addresses)
                    say("serving http://\(shown)/metrics for \(targets.arguments.count) target(s)")
                }
            } catch {
                outcome.withLock { $0 = error }
            }
            done.signal()
        }
        done.wait()
        targets.stop()
        if let error = outcome.withLock({ $0 }) {
            say("\(error)")
            throw ExitCode(1)
        }
    }
}

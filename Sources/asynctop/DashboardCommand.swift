import ArgumentParser
import AsyncTopDemos
import AsyncTopRuntime
import AsyncTopTerminal
import AsyncTopTUI
import Foundation

/// `asynctop dashboard`: a loop of our own, the dashboard on it, demos on demand.
struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Start an event loop and open the dashboard on it (the default).")

    @Option(name: .customLong("demo"), help: "Launch these demos at start (repeatable).")
    var demos: [String] = []

    func validate() throws {
        for name in demos where DemoCatalogue.named(name) == nil {
            throw ValidationError("unknown demo '\(name)'; the demos are: \(DemoCatalogue.all.map(\.name).joined(separator: ", "))")
        }
    }

    func run() throws {
        let loop = EventLoop(name: "asynctop")
        let running = Task.detached { try await loop.runForever() }
        let source = LoopSource(loop: loop)
        for name in demos { source.launchDemo(named: name) }
        defer {
            loop.stop()
            _ = running
        }
        do {
            try DashboardTerminal.run(source: source, demos: DemoCatalogue.all.map { DemoEntry(name: $0.name, summary: $0.summary) })
        } catch let error as TerminalError {
            throw ValidationError(error.description)
        }
    }
}

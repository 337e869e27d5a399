import ArgumentParser
import AsyncTopDemos
import AsyncTopRuntime

/// The `asynctop` command: the dashboard by default, and the demo catalogue.
@main
struct AsyncTop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asynctop",
        abstract: "top for async tasks: a live dashboard of an instrumented Swift event loop.",
        discussion: """
        With no subcommand, starts an event loop and opens the dashboard on it; press d for
        the demo launcher, ? for help, q to quit.
        """,
        subcommands: [DashboardCommand.self, DemosCommand.self, DemoCommand.self, AttachCommand.self, PsCommand.self, PsTreeCommand.self,
                      ReplayCommand.self, ExporterCommand.self, RunCommand.self],
        defaultSubcommand: DashboardCommand.self)

    /// This program is also its own process pool worker: the `process-pool` demo starts
    /// copies of it in worker mode, which serve the demos' functions and never parse
    /// arguments.
    static func main() {
        DemoCatalogue.registerWorkerFunctions()
        ProcessPool.runWorkerIfRequested()
        main(nil)
    }
}

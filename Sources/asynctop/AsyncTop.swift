import ArgumentParser

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
                      ReplayCommand.self],
        defaultSubcommand: DashboardCommand.self)
}

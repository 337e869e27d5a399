import ArgumentParser
import AsyncTopDemos

/// `asynctop demos`: the catalogue, one line each.
struct DemosCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demos", abstract: "List the demo workloads.")

    func run() {
        let width = DemoCatalogue.all.map(\.name.count).max() ?? 0
        for demo in DemoCatalogue.all {
            print(demo.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + demo.summary)
        }
    }
}

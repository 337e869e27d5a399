import ArgumentParser
import AsyncTopDemos
import AsyncTopTUI
import Foundation

/// `asynctop demos [NAME]`: the catalogue, one line each, or one demo explained.
struct DemosCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demos", abstract: "List the demo workloads, or explain one.")

    @Argument(help: "A demo to explain: what it shows, what to look at, what it should come to.")
    var name: String?

    func run() throws {
        guard let name else {
            let width = DemoCatalogue.all.map(\.name.count).max() ?? 0
            for demo in DemoCatalogue.all {
                print(demo.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + demo.summary)
            }
            return
        }
        let demo = try catalogueDemo(named: name)
        print("\(demo.name): \(demo.summary)\n")
        if !demo.about.isEmpty { print(demo.about.wrapped(to: 78).joined(separator: "\n") + "\n") }
        print("Expected outcome: \(demo.expected)")
        print("Lints it fires: " + (demo.lints.isEmpty ? "none" : demo.lints.map(\.rawValue).sorted().joined(separator: ", ")))
        print("\nRun it: asynctop demo \(demo.name)   (headless: asynctop demo \(demo.name) --headless)")
    }
}

/// "unknown demo 'x'; the demos are: gather, …"
func unknownDemoMessage(_ name: String) -> String {
    "unknown demo '\(name)'; the demos are: \(DemoCatalogue.all.map(\.name).joined(separator: ", "))"
}

/// The demo called `name`; an unknown name lists the demos on standard error and exits with status 2.
func catalogueDemo(named name: String) throws -> Demo {
    guard let demo = DemoCatalogue.named(name) else {
        FileHandle.standardError.write(Data("asynctop: \(unknownDemoMessage(name))\n".utf8))
        throw ExitCode(2)
    }
    return demo
}

import ArgumentParser
import AsyncTopDemos
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
        guard let demo = DemoCatalogue.named(name) else {
            FileHandle.standardError.write(Data(
                "asynctop: unknown demo '\(name)'; the demos are: \(DemoCatalogue.all.map(\.name).joined(separator: ", "))\n".utf8))
            throw ExitCode(2)
        }
        print("\(demo.name): \(demo.summary)\n")
        for paragraph in demo.about.split(separator: "\n\n") { print(wrap(String(paragraph), width: 78) + "\n") }
        print("Expected outcome: \(demo.expected)")
        print("Lints it fires: " + (demo.lints.isEmpty ? "none" : demo.lints.map(\.rawValue).sorted().joined(separator: ", ")))
        print("\nRun it: asynctop demo \(demo.name)   (headless: asynctop demo \(demo.name) --headless)")
    }
}

/// `text` broken at spaces into lines of at most `width` characters (a longer word keeps its own line).
func wrap(_ text: String, width: Int) -> String {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ") {
        if !line.isEmpty && line.count + 1 + word.count > width {
            lines.append(line)
            line = ""
        }
        line += (line.isEmpty ? "" : " ") + word
    }
    if !line.isEmpty { lines.append(line) }
    return lines.joined(separator: "\n")
}

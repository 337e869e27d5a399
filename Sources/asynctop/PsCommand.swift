import ArgumentParser
import AsyncTopClient

/// `asynctop ps TARGET`: every task of a monitored process or a recording, one line each.
struct PsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps",
        abstract: "List the tasks of a monitored program (a socket) or a recording, as a flat table.")

    @OptionGroup var target: TargetOptions

    func run() throws {
        let loaded = try target.load()
        print(target.json ? ProcessTable.json(ProcessTable.rows(loops: loaded.loops, stacks: target.stackFrames)) : ProcessTable.psText(loops: loaded.loops, stacks: target.stackFrames),
              terminator: "")
    }
}

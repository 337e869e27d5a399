import ArgumentParser
import AsyncTopClient

/// `asynctop pstree TARGET`: the same tasks as a tree of parents and children.
struct PsTreeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pstree",
        abstract: "Show the task tree of a monitored program (a socket) or a recording.")

    @OptionGroup var target: TargetOptions

    func run() throws {
        let loaded = try target.load()
        print(target.json ? ProcessTable.json(ProcessTable.tree(loaded.snapshot, stacks: target.stackFrames)) : ProcessTable.treeText(loaded.snapshot, stacks: target.stackFrames),
              terminator: "")
    }
}

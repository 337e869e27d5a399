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
        print(target.json ? ProcessTable.json(ProcessTable.tree(loops: loaded.loops, stacks: target.stackFrames)) : ProcessTable.treeText(loops: loaded.loops, stacks: target.stackFrames),
              terminator: "")
    }
}

import ArgumentParser
import AsyncTopClient
import Foundation

/// `asynctop ps TARGET`: every task of a monitored process or a recording, one line each.
struct PsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps",
        abstract: "List the tasks of a monitored program (a socket) or a recording, as a flat table.")

    @OptionGroup var target: TargetOptions

    func run() throws {
        let loaded = try target.load()
        print(target.json ? ProcessTable.json(ProcessTable.rows(loaded.snapshot)) : ProcessTable.psText(loaded.snapshot),
              terminator: "")
    }
}

/// `asynctop pstree TARGET`: the same tasks as a tree of parents and children.
struct PsTreeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pstree",
        abstract: "Show the task tree of a monitored program (a socket) or a recording.")

    @OptionGroup var target: TargetOptions

    func run() throws {
        let loaded = try target.load()
        print(target.json ? ProcessTable.json(ProcessTable.tree(loaded.snapshot)) : ProcessTable.treeText(loaded.snapshot),
              terminator: "")
    }
}

/// What `ps` and `pstree` read and how they print it.
struct TargetOptions: ParsableArguments {
    @Argument(help: "A monitor socket (see ASYNCTOP_SOCKET) or a recording file.")
    var target: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func load() throws -> TargetLoader.Loaded {
        do {
            let loaded = try TargetLoader.load(target)
            if let note = loaded.note { FileHandle.standardError.write(Data("asynctop: \(note)\n".utf8)) }
            return loaded
        } catch {
            FileHandle.standardError.write(Data("asynctop: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

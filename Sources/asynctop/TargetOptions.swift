import ArgumentParser
import AsyncTopClient
import Foundation

/// What `ps` and `pstree` read and how they print it.
struct TargetOptions: ParsableArguments {
    @Argument(help: "A monitor socket (see ASYNCTOP_SOCKET) or a recording file.")
    var target: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Flag(help: "Show where each suspended task waits: its async stack, innermost first, with file and line.")
    var stacks = false

    @Flag(help: "With --stacks, show every frame, the Swift runtime's and thunks too.")
    var allFrames = false

    @Option(help: ArgumentHelp("Only the tasks of the loop of this name (a process may serve several on its socket).",
                               valueName: "name"))
    var loop: String?

    /// What of the stacks to print.
    var stackFrames: ProcessTable.Stacks { stacks || allFrames ? (allFrames ? .all : .own) : .none }

    func load() throws -> TargetLoader.Loaded {
        do {
            var loaded = try TargetLoader.load(target, stacks: stackFrames != .none)
            if let loop { loaded = try loaded.only(loop: loop, of: target) }
            if let note = loaded.note { FileHandle.standardError.write(Data("asynctop: \(note)\n".utf8)) }
            return loaded
        } catch {
            FileHandle.standardError.write(Data("asynctop: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

import Foundation
import Testing
import TmuxTestSupport

/// Every command README.md shows, run as it is written, against the built `asynctop`
/// (in CI, the release binary: `ASYNCTOP_BINARY`).
///
/// The commands are read from README's `sh` blocks, so a command added there is run here
/// too; one the test does not know how to run fails it. `[--flag]` runs both ways. The
/// dashboard commands run in tmux and must show the dashboard and quit on `q` with status
/// 0; the others must exit 0. The README's socket path is served by the dashboard's own
/// loop, through `ASYNCTOP_SOCKET`, as the README says any program's can be.
@Suite(.offCooperativePool, .serialized,
       .enabled(if: TmuxSession.isAvailable, "tmux is not installed"),
       .enabled(if: BuiltBinary.asynctop != nil, "asynctop not found next to the test bundle"))
struct ReadmeCommandsTests {
    static let readme: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
    }()

    static let ciScript: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent(".ci/run"), encoding: .utf8)) ?? ""
    }()

    /// The command lines of README's `sh` blocks, comments cut, in order.
    static func commandLines(_ text: String) -> [String] {
        var lines: [String] = []
        var inShell = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {
                inShell = !inShell && trimmed == "```sh"
                continue
            }
            guard inShell else { continue }
            let command = (trimmed.range(of: " #").map { String(trimmed[..<$0.lowerBound]) } ?? trimmed)
                .trimmingCharacters(in: .whitespaces)
            if !command.isEmpty && !command.hasPrefix("#") { lines.append(command) }
        }
        return lines
    }

    /// `a [--b] c` → `a c` and `a --b c`; several brackets multiply.
    static func variants(_ command: String) -> [String] {
        guard let open = command.firstIndex(of: "["), let close = command[open...].firstIndex(of: "]") else {
            return [command]
        }
        let inner = String(command[command.index(after: open)..<close])
        let before = String(command[..<open]), after = String(command[command.index(after: close)...])
        let squeeze = { (s: String) in s.replacingOccurrences(of: "  ", with: " ").trimmingCharacters(in: .whitespaces) }
        return variants(squeeze(before + after)) + variants(squeeze(before + inner + after))
    }

    @Test func readmeHasTheTwoCommandsAndCIRunsThemAsWritten() {
        let lines = Self.commandLines(Self.readme)
        #expect(lines.contains("swift run -c release asynctop"))
        #expect(lines.contains("swift test"))
        // CI runs both exactly so (the dashboard one in tmux): see .ci/run.
        #expect(Self.ciScript.contains("swift run -c release asynctop"))
        #expect(Self.ciScript.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == "swift test" })
    }

    @Test func everyAsynctopCommandOfTheReadmeWorksAsWritten() async throws {
        let binary = BuiltBinary.asynctop!
        let directory = "/tmp/at-readme-\(getpid())-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        // The program the README's socket path stands for: the dashboard on its own loop,
        // served through ASYNCTOP_SOCKET, started when a command first needs it.
        var server: TmuxSession?
        let socket = directory + "/app.sock"
        func serve() throws {
            guard server == nil else { return }
            server = try TmuxSession(command: "ASYNCTOP_SOCKET='\(socket)' '\(binary)'", cols: 120, rows: 36)
            let deadline = Date().addingTimeInterval(20)
            while !FileManager.default.fileExists(atPath: socket) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            guard FileManager.default.fileExists(atPath: socket) else {
                throw Failure("ASYNCTOP_SOCKET=\(socket) asynctop served no socket:\n\(server?.capture() ?? "")")
            }
        }

        let commands = Self.commandLines(Self.readme).flatMap(Self.variants)
            .filter { !["swift run -c release asynctop", "swift test"].contains($0) }
        #expect(commands.count >= 10, "README's sh blocks: \(commands)")
        for line in commands {
            for command in line.components(separatedBy: " && ") {
                var words = command.split(separator: " ").map(String.init)
                guard words.first == "asynctop" else {
                    Issue.record("README command this test cannot run: \(command)")
                    continue
                }
                // The README's program to watch: a plain Swift program of this package's.
                if words.contains("./my-server") {
                    guard let plain = BuiltBinary.plainFixture else {
                        Issue.record("asynctop-plain-fixture not built, for \(command)")
                        continue
                    }
                    words = words.map { $0 == "./my-server" ? plain : $0 }
                }
                if words.contains(where: { $0.hasPrefix("/run/user/") }) {
                    try serve()
                    // A path ending in / is a directory of sockets: the one that holds it.
                    words = words.map { $0.hasPrefix("/run/user/") ? ($0.hasSuffix("/") ? directory + "/" : socket) : $0 }
                }
                let arguments = Array(words.dropFirst())
                let subcommand = arguments.first ?? ""
                if arguments.contains("--headless") || ["demos", "ps", "pstree"].contains(subcommand)
                    || (subcommand == "run" && arguments.contains("--no-dashboard")) {
                    // A watched program holds its tasks for half a second here, then exits 0.
                    let (status, output) = await runIn(directory, [binary] + arguments, environment: "PLAIN_FIXTURE_HOLD=0.5")
                    #expect(status == 0, "\(command): status \(status)\n\(output.suffix(1500))")
                    #expect(!output.isEmpty, "\(command) printed nothing")
                } else if subcommand == "exporter" {
                    // A server: it must serve the socket's loop at the address it was given.
                    let port = arguments.firstIndex(of: "--listen").flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
                        .flatMap { $0.split(separator: ":").last.flatMap { UInt16($0) } } ?? 9464
                    let body = exporterMetrics([binary] + arguments, port: port, output: directory + "/exporter.out") {
                        $0.contains("asynctop_target_up{target=\"\(socket)\"} 1") && $0.contains("loop=\"asynctop\"")
                    }
                    #expect(body.contains("asynctop_target_up{target=\"\(socket)\"} 1") && body.contains("asynctop_tasks{"),
                            "\(command) did not serve the socket's loop on port \(port):\n\(body.prefix(1500))")
                } else {
                    let quoted = arguments.map { "'\($0)'" }.joined(separator: " ")
                    let session = try TmuxSession(command: "cd '\(directory)' && '\(binary)' \(quoted)", cols: 120, rows: 36)
                    let screen = session.waitFor(timeout: .seconds(20)) { $0.contains("F10") && $0.contains("asynctop") }
                    #expect(screen.contains("F10"), "\(command) shows no dashboard:\n\(screen)")
                    session.send("q")
                    #expect(session.waitFor("asynctop-exit=0", timeout: .seconds(15)), "\(command) did not quit with 0:\n\(session.capture())")
                }
            }
        }
    }

    /// Starts the exporter `arguments`, scrapes `port` until `served` holds (20 s at most),
    /// stops it and returns the last text.
    func exporterMetrics(_ arguments: [String], port: UInt16, output: String, until served: (String) -> Bool) -> String {
        guard let pid = TmuxSession.spawn(arguments, outputPath: output) else { return "(could not start \(arguments))" }
        defer {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
        var body = ""
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            body = HTTPGet.get(port: port, path: "/metrics")?.body ?? ""
            if served(body) { return body }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return body + "\n" + ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    /// Runs a program with `directory` as its working directory, off the cooperative pool.
    func runIn(_ directory: String, _ arguments: [String], environment: String = "") async -> (status: Int32, output: String) {
        let quoted = arguments.map { "'\($0)'" }.joined(separator: " ")
        return await TmuxSession.runOffPool(["/bin/sh", "-c", "cd '\(directory)' && \(environment.isEmpty ? "" : "export \(environment); ")exec \(quoted)"])
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ text: String) { description = text }
    }
}

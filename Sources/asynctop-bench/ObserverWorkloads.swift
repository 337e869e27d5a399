import AsyncTopClient
import Foundation

/// What watching a plain program costs it: `asynctop-plain-fixture --workload spawn|mix`
/// run bare, under the observer with nobody attached, and under the observer with a client
/// reading its deltas ten times a second, interleaved round by round. The program times its
/// own work ("elapsed NS"), so process start and the observer's loading are left out.
enum ObserverWorkloads {
    static let rounds = 9

    static func run(workload: String, tasks: Int) throws -> Measured {
        let directory = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]).deletingLastPathComponent().path
        let fixture = directory + "/asynctop-plain-fixture", preload = directory + "/libAsyncTopPreload.so"
        guard FileManager.default.isExecutableFile(atPath: fixture), FileManager.default.fileExists(atPath: preload) else {
            throw BenchError("\(fixture) and \(preload) are needed: build them with `swift build -c release`")
        }
        var bare: [Double] = [], observed: [Double] = [], attached: [Double] = []
        for round in 0..<rounds {
            bare.append(try once(fixture, workload, tasks, preload: nil, attach: false))
            observed.append(try once(fixture, workload, tasks, preload: preload, attach: false))
            attached.append(try once(fixture, workload, tasks, preload: preload, attach: true))
            FileHandle.standardError.write(Data("round \(round): bare \(bare.last!) observed \(observed.last!) attached \(attached.last!)\n".utf8))
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let pairedObserved = median(zip(observed, bare).map { $0 / $1 })
        let pairedAttached = median(zip(attached, bare).map { $0 / $1 })
        return Measured(seconds: median(observed), ops: tasks, extras: [
            "bare_s": median(bare), "observed_s": median(observed), "attached_s": median(attached),
            "observed_over_bare": pairedObserved, "attached_over_bare": pairedAttached,
        ])
    }

    private static func once(_ fixture: String, _ workload: String, _ tasks: Int, preload: String?, attach: Bool) throws -> Double {
        let socket = NSTemporaryDirectory() + "asynctop-bench-\(getpid())-\(UUID().uuidString.prefix(6)).sock"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: fixture)
        process.arguments = ["--workload", workload, "--tasks", String(tasks), "--delay", "0.3"]
        var environment = ProcessInfo.processInfo.environment
        if let preload {
            environment["LD_PRELOAD"] = preload
            environment["ASYNCTOP_OBSERVE_SOCKET"] = socket
        }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var remote: RemoteLoop?
        if attach { remote = RemoteLoop(path: socket) }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        remote?.stop()
        let text = String(decoding: data, as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("elapsed ") }), let ns = Double(line.dropFirst(8)) else {
            throw BenchError("the fixture said: \(text)")
        }
        return ns / 1e9
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

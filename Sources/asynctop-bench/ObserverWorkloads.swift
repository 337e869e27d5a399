import AsyncTopClient
import Foundation

/// What watching a plain program costs it: `asynctop-plain-fixture --workload spawn|mix`
/// run bare, under the observer with nobody attached, and under the observer with a client
/// reading its deltas ten times a second, interleaved round by round. The program times its
/// own work ("elapsed NS"), so process start and the observer's loading are left out.
enum ObserverWorkloads {
    static let rounds = 9

    /// The plain program and the observer, beside this benchmark.
    static func binaries() throws -> (fixture: String, preload: String) {
        let directory = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]).deletingLastPathComponent().path
        let fixture = directory + "/asynctop-plain-fixture", preload = directory + "/libAsyncTopPreload.so"
        guard FileManager.default.isExecutableFile(atPath: fixture), FileManager.default.fileExists(atPath: preload) else {
            throw BenchError("\(fixture) and \(preload) are needed: build them with `swift build -c release`")
        }
        return (fixture, preload)
    }

    /// The floor under the observer's cost: bare; interposed but recording nothing; that and
    /// the three clock reads a step's records need; the observer whole. Nobody attached.
    static func floor(workload: String, tasks: Int) throws -> Measured {
        let (fixture, preload) = try binaries()
        let kinds: [(name: String, floor: String?)] = [("interposed", "1"), ("clocks", "2"), ("observed", nil)]
        var bare: [Timing] = [], runs = [String: [Timing]]()
        for round in 0..<21 {
            bare.append(try once(fixture, workload, tasks, preload: nil, attach: false))
            var line = "round \(round): bare \(bare.last!)"
            for kind in kinds {
                runs[kind.name, default: []].append(try once(fixture, workload, tasks, preload: preload, attach: false, floor: kind.floor))
                line += " \(kind.name) \(runs[kind.name]!.last!)"
            }
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        var extras = ["bare_s": median(bare.map(\.elapsed)), "bare_cpu_s": median(bare.map(\.cpu))]
        // Paired medians, and the fastest run of each over the fastest bare one: on a noisy
        // machine, interference only adds time, so the minimum is each one's own cost.
        for kind in kinds {
            let timings = runs[kind.name]!
            extras["\(kind.name)_over_bare"] = median(zip(timings, bare).map { $0.elapsed / $1.elapsed })
            extras["\(kind.name)_cpu_over_bare"] = median(zip(timings, bare).map { $0.cpu / $1.cpu })
            extras["\(kind.name)_min_over_bare_min"] = timings.map(\.elapsed).min()! / bare.map(\.elapsed).min()!
            extras["\(kind.name)_cpu_min_over_bare_min"] = timings.map(\.cpu).min()! / bare.map(\.cpu).min()!
        }
        return Measured(seconds: median(runs["observed"]!.map(\.elapsed)), ops: tasks, extras: extras)
    }

    static func run(workload: String, tasks: Int) throws -> Measured {
        let (fixture, preload) = try binaries()
        var bare: [Timing] = [], observed: [Timing] = [], attached: [Timing] = []
        for round in 0..<rounds {
            bare.append(try once(fixture, workload, tasks, preload: nil, attach: false))
            observed.append(try once(fixture, workload, tasks, preload: preload, attach: false))
            attached.append(try once(fixture, workload, tasks, preload: preload, attach: true))
            FileHandle.standardError.write(Data(("round \(round): bare \(bare.last!) observed \(observed.last!) "
                                                 + "attached \(attached.last!)\n").utf8))
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        func paired(_ a: [Timing], _ b: [Timing], _ part: KeyPath<Timing, Double>) -> Double {
            median(zip(a, b).map { $0[keyPath: part] / $1[keyPath: part] })
        }
        return Measured(seconds: median(observed.map(\.elapsed)), ops: tasks, extras: [
            "bare_s": median(bare.map(\.elapsed)), "observed_s": median(observed.map(\.elapsed)),
            "attached_s": median(attached.map(\.elapsed)),
            "observed_over_bare": paired(observed, bare, \.elapsed), "attached_over_bare": paired(attached, bare, \.elapsed),
            // The process's CPU time over the timed part (every thread's, the observer's too).
            "bare_cpu_s": median(bare.map(\.cpu)), "observed_cpu_s": median(observed.map(\.cpu)),
            "observed_cpu_over_bare": paired(observed, bare, \.cpu), "attached_cpu_over_bare": paired(attached, bare, \.cpu),
        ])
    }

    struct Timing: CustomStringConvertible {
        var elapsed: Double
        var cpu: Double
        var description: String { String(format: "%.3f s (cpu %.3f s)", elapsed, cpu) }
    }

    private static func once(_ fixture: String, _ workload: String, _ tasks: Int, preload: String?, attach: Bool,
                             floor: String? = nil) throws -> Timing {
        let socket = NSTemporaryDirectory() + "asynctop-bench-\(getpid())-\(UUID().uuidString.prefix(6)).sock"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: fixture)
        process.arguments = ["--workload", workload, "--tasks", String(tasks), "--delay", "0.3"]
        var environment = ProcessInfo.processInfo.environment
        if let preload {
            environment["LD_PRELOAD"] = preload
            environment["ASYNCTOP_OBSERVE_SOCKET"] = socket
            environment["ASYNCTOP_OBSERVE_FLOOR"] = floor
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
        func value(_ name: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.dropFirst(name.count + 1)) }
        }
        guard let elapsed = value("elapsed"), let cpu = value("cpu") else { throw BenchError("the fixture said: \(text)") }
        return Timing(elapsed: elapsed / 1e9, cpu: cpu / 1e9)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

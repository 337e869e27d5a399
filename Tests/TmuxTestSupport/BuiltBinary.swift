import Foundation

/// Finds an executable of this package, built beside the running test bundle.
///
/// A test target that depends on an executable target makes SwiftPM build it into the same
/// products folder as the test bundle. An environment variable (`ASYNCTOP_TUI_FIXTURE` for
/// the fixture, `ASYNCTOP_BINARY` for asynctop, `ASYNCTOP_WORKER_FIXTURE` for the process
/// pool's worker) overrides the search.
public enum BuiltBinary {
    public static let fixture = path(named: "asynctop-tui-fixture", override: "ASYNCTOP_TUI_FIXTURE")
    public static let asynctop = path(named: "asynctop", override: "ASYNCTOP_BINARY")
    public static let monitorFixture = path(named: "asynctop-monitor-fixture", override: "ASYNCTOP_MONITOR_FIXTURE")
    public static let workerFixture = path(named: "asynctop-worker-fixture", override: "ASYNCTOP_WORKER_FIXTURE")
    public static let plainFixture = path(named: "asynctop-plain-fixture", override: "ASYNCTOP_PLAIN_FIXTURE")

    static func path(named name: String, override: String) -> String? {
        if let path = ProcessInfo.processInfo.environment[override] { return path }
        // The running test executable, with symlinks resolved: …/debug/asynctopPackageTests.xctest
        let candidates = [
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")),
            CommandLine.arguments.first,
        ].compactMap { $0 }
        for executable in candidates {
            var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
            // On macOS the bundle nests the executable in Contents/MacOS.
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent(name).path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                directory.deleteLastPathComponent()
            }
        }
        return nil
    }
}

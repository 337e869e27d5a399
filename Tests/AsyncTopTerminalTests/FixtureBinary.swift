import Foundation

/// Finds the built `asynctop-tui-fixture`.
///
/// The test target depends on the fixture, so SwiftPM builds it into the same products
/// directory as the test bundle. `ASYNCTOP_TUI_FIXTURE` overrides the search.
enum FixtureBinary {
    static let name = "asynctop-tui-fixture"

    static let path: String? = {
        if let override = ProcessInfo.processInfo.environment["ASYNCTOP_TUI_FIXTURE"] { return override }
        // The running test executable, with symlinks resolved: …/debug/asynctop-tuiPackageTests.xctest
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
    }()
}

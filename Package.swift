// swift-tools-version:6.0
import PackageDescription

// Branch `tui`: the dashboard layers only. The runtime, its C helpers, the demos, the
// `asynctop` command and the benchmark live on the runtime branch and join at merge time.
let package = Package(
    name: "asynctop",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AsyncTopModel", targets: ["AsyncTopModel"]),
        .library(name: "AsyncTopTUI", targets: ["AsyncTopTUI"]),
        .library(name: "AsyncTopTerminal", targets: ["AsyncTopTerminal"]),
        .executable(name: "asynctop-tui-fixture", targets: ["asynctop-tui-fixture"]),
    ],
    targets: [
        // Values only: ids, states, records, snapshots, deltas. Depends on nothing of ours.
        // `Double.rounded()` calls libm, which Linux does not link by itself.
        .target(name: "AsyncTopModel", linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]),
        // The dashboard without a terminal: view state, key table, reducer, render → Screen.
        .target(name: "AsyncTopTUI", dependencies: ["AsyncTopModel"]),
        // ncursesw as a Clang module: a shim header and the link flag.
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw"),
        // The only code that talks to ncurses: draws a Screen, reads keys, restores the terminal.
        .target(name: "AsyncTopTerminal", dependencies: ["AsyncTopTUI", "AsyncTopModel", "CNcursesw"]),
        // A fake snapshot source in a real terminal, for tmux tests before the runtime is wired in.
        .executableTarget(name: "asynctop-tui-fixture", dependencies: ["AsyncTopTerminal", "AsyncTopTUI", "AsyncTopModel"]),
        .testTarget(name: "AsyncTopTUITests", dependencies: ["AsyncTopTUI", "AsyncTopModel"]),
        .testTarget(name: "AsyncTopTerminalTests", dependencies: ["asynctop-tui-fixture"]),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "asynctop",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AsyncTopRuntime", targets: ["AsyncTopRuntime"]),
        .library(name: "AsyncTopModel", targets: ["AsyncTopModel"]),
        // Optional: a loop's counters, gauges and timers through swift-metrics.
        .library(name: "AsyncTopMetrics", targets: ["AsyncTopMetrics"]),
        // Preloaded by `asynctop run` into a program to watch its plain Swift tasks (C only),
        // and the socket server it loads once its checks pass.
        .library(name: "AsyncTopPreload", type: .dynamic, targets: ["CAsyncTopObserver"]),
        .library(name: "AsyncTopObserver", type: .dynamic, targets: ["AsyncTopObserver"]),
        .executable(name: "asynctop", targets: ["asynctop"]),
        .executable(name: "asynctop-bench", targets: ["asynctop-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        // The exporter only: the text format's registry, and a small HTTP server.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swhitty/FlyingFox", .upToNextMinor(from: "0.27.1")),
    ],
    targets: [
        // Values only: ids, states, records, snapshots, deltas. Depends on nothing of ours.
        // `Double.rounded()` calls libm, which Linux does not link by itself.
        .target(name: "AsyncTopModel", linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]),
        // Under ThreadSanitizer, a mutex it can see (the modules below use it only then).
        .target(name: "AsyncTopSync"),
        // Tiny C helpers the Swift overlay does not expose on Linux (thread names, gettid, TLS).
        .target(name: "CAsyncTopSupport"),
        // The scheduler: event loop, registry, tasks, timers, executors.
        .target(
            name: "AsyncTopRuntime",
            dependencies: [
                "AsyncTopModel",
                "AsyncTopSync",
                "CAsyncTopSupport",
                // The preloaded observer's declarations: its calls are looked up at run time.
                "CAsyncTopObserverAPI",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        // The observer of a program's plain Swift tasks: hooks and interposed runtime entry
        // points, in C (preloaded; see docs/DESIGN.md), and the declarations the monitor reads
        // it through (the monitor finds the definitions in the process).
        .target(name: "CAsyncTopObserver"),
        .target(name: "CAsyncTopObserverAPI"),
        // The observed tasks served on a monitor socket, loaded by the preloaded observer.
        .target(name: "AsyncTopObserver", dependencies: ["AsyncTopRuntime", "AsyncTopModel", "CAsyncTopObserverAPI"]),
        // A plain Swift program that knows nothing of asynctop, watched by `asynctop run` in tests.
        .executableTarget(name: "asynctop-plain-fixture"),
        // Reports a loop through swift-metrics to whatever backend the program bootstrapped.
        // Its own product: the runtime does not depend on swift-metrics.
        .target(
            name: "AsyncTopMetrics",
            dependencies: ["AsyncTopRuntime", "AsyncTopModel", .product(name: "CoreMetrics", package: "swift-metrics")]
        ),
        .testTarget(
            name: "AsyncTopMetricsTests",
            dependencies: [
                "AsyncTopMetrics", "AsyncTopRuntime", .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        // A monitor socket's client: connection, reconnecting remote state, ps/pstree views.
        .target(name: "AsyncTopClient", dependencies: ["AsyncTopModel", "AsyncTopSync", "CAsyncTopSupport"]),
        // `asynctop exporter`: monitor sockets (or folders of them) served as Prometheus metrics
        // over HTTP. Nothing of the runtime depends on it.
        .target(
            name: "AsyncTopExporter",
            dependencies: [
                "AsyncTopModel", "AsyncTopClient", "AsyncTopSync",
                .product(name: "Prometheus", package: "swift-prometheus"),
                // FlyingFox's sockets only: its HTTP module links FoundationNetworking (libcurl).
                .product(name: "FlyingSocks", package: "FlyingFox"),
            ]
        ),
        // The dashboard without a terminal: view state, key table, reducer, render → Screen.
        .target(name: "AsyncTopTUI", dependencies: ["AsyncTopModel"]),
        // ncursesw as a Clang module: a shim header and the link flag.
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw"),
        // The only code that talks to ncurses: draws a Screen, reads keys, restores the terminal.
        .target(name: "AsyncTopTerminal", dependencies: ["AsyncTopTUI", "AsyncTopModel", "CNcursesw", "CAsyncTopTerminalSupport"]),
        // The terminal's async-signal-safe restore on a crash, and non-interactive crash reports.
        .target(name: "CAsyncTopTerminalSupport"),
        // Demo workloads, written against the public runtime API like any user's code.
        .target(name: "AsyncTopDemos", dependencies: ["AsyncTopRuntime", "AsyncTopSync"], path: "demos"),
        // Runs a demo headless on a fresh loop and traces its tasks and lints (`asynctop demo --headless`).
        .target(name: "AsyncTopTracing", dependencies: ["AsyncTopRuntime", "AsyncTopModel", "AsyncTopDemos", "AsyncTopSync"]),
        .executableTarget(
            name: "asynctop",
            dependencies: [
                "AsyncTopRuntime", "AsyncTopDemos", "AsyncTopTracing", "AsyncTopTUI", "AsyncTopTerminal", "AsyncTopClient",
                "AsyncTopSync", "AsyncTopExporter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "asynctop-bench",
            dependencies: [
                "AsyncTopRuntime", "AsyncTopTUI", "AsyncTopClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // A fake snapshot source in a real terminal, for tmux tests of the terminal layer alone.
        .executableTarget(name: "asynctop-tui-fixture", dependencies: ["AsyncTopTerminal", "AsyncTopTUI", "AsyncTopModel"]),
        .testTarget(name: "AsyncTopModelTests", dependencies: ["AsyncTopModel"]),
        // A program that opts in to the monitor with one line, for the attach/ps/pstree tests.
        .executableTarget(name: "asynctop-monitor-fixture", dependencies: ["AsyncTopRuntime"]),
        // A process pool worker with a few functions, for the process pool's tests.
        .executableTarget(name: "asynctop-worker-fixture", dependencies: ["AsyncTopRuntime"]),
        .testTarget(
            name: "AsyncTopRuntimeTests",
            // asynctop: the process-pool demo's workers (the test bundle cannot be one).
            dependencies: [
                "AsyncTopRuntime", "AsyncTopDemos", "AsyncTopTracing", "AsyncTopSync", "asynctop", "asynctop-worker-fixture",
                "TmuxTestSupport",
            ]
        ),
        .testTarget(name: "AsyncTopTUITests", dependencies: ["AsyncTopTUI", "AsyncTopModel"]),
        // tmux sessions and the location of built binaries, for the tests of real programs.
        .target(name: "TmuxTestSupport", path: "Tests/TmuxTestSupport"),
        .testTarget(name: "AsyncTopTerminalTests", dependencies: ["asynctop-tui-fixture", "TmuxTestSupport"]),
        // The exporter's text and addresses, its output checked by promtool, and a real
        // Prometheus server scraping `asynctop exporter` on monitored fixtures.
        .testTarget(
            name: "AsyncTopExporterTests",
            dependencies: ["AsyncTopExporter", "AsyncTopModel", "AsyncTopClient", "asynctop", "asynctop-monitor-fixture", "TmuxTestSupport"]),
        .testTarget(name: "AsyncTopCLITests", dependencies: ["asynctop", "asynctop-plain-fixture", "TmuxTestSupport"]),
        // Each asyncio behaviour as a Python program and its Swift twin, run under CPython
        // and on the loop: the two logs must match. The demos too, run headless.
        .testTarget(
            name: "AsyncTopDifferentialTests",
            dependencies: ["AsyncTopRuntime", "AsyncTopSync", "AsyncTopDemos", "AsyncTopTracing", "AsyncTopModel", "TmuxTestSupport"],
            exclude: ["python"]
        ),
        .testTarget(
            name: "AsyncTopMonitorTests",
            dependencies: ["AsyncTopRuntime", "AsyncTopClient", "AsyncTopModel", "AsyncTopSync", "asynctop", "asynctop-monitor-fixture",
                           "asynctop-plain-fixture", "TmuxTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

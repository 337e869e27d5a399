// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "asynctop",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AsyncTopRuntime", targets: ["AsyncTopRuntime"]),
        .library(name: "AsyncTopModel", targets: ["AsyncTopModel"]),
        .executable(name: "asynctop", targets: ["asynctop"]),
        .executable(name: "asynctop-bench", targets: ["asynctop-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Values only: ids, states, records, snapshots, deltas. Depends on nothing of ours.
        .target(name: "AsyncTopModel"),
        // Tiny C helpers the Swift overlay does not expose on Linux (thread names, gettid, TLS).
        .target(name: "CAsyncTopSupport"),
        // The scheduler: event loop, registry, tasks, timers.
        .target(
            name: "AsyncTopRuntime",
            dependencies: [
                "AsyncTopModel",
                "CAsyncTopSupport",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        // Demo workloads, written against the public runtime API like any user's code.
        .target(name: "AsyncTopDemos", dependencies: ["AsyncTopRuntime"], path: "demos"),
        .executableTarget(
            name: "asynctop",
            dependencies: [
                "AsyncTopRuntime", "AsyncTopDemos",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "asynctop-bench",
            dependencies: [
                "AsyncTopRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "AsyncTopModelTests", dependencies: ["AsyncTopModel"]),
        .testTarget(name: "AsyncTopRuntimeTests", dependencies: ["AsyncTopRuntime", "AsyncTopDemos"]),
    ],
    swiftLanguageModes: [.v6]
)

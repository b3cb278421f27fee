// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "serin",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "serin", targets: ["serin"]),
        .executable(name: "serin-dev", targets: ["serin-dev"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        // JSON value type, resource identities, the API protocol, selectors and patches: no I/O.
        .target(name: "KubeCore", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: swiftSettings),
        // OpenAPI v3 structural schemas and CEL rules as kube-apiserver applies them to custom
        // resources: validation, pruning, defaulting, rule evaluation and cost. Shared by the test
        // API server and `serin lint`, so both give the real server's verdict.
        .target(name: "KubeSchema", dependencies: ["KubeCore"], swiftSettings: swiftSettings),
        .target(
            name: "KubeClient",
            dependencies: [
                "KubeCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KubeRuntime",
            dependencies: [
                "KubeCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KubeTestServer",
            dependencies: [
                "KubeCore", "KubeSchema",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // The one small HTTP/1.1 server: ops endpoints, the tester, the demo app, the tests' scripted servers.
        .target(
            name: "HTTPServing",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "SerinAPI", dependencies: ["KubeCore", .product(name: "Yams", package: "Yams")], swiftSettings: swiftSettings),
        .target(
            name: "Analysis",
            dependencies: [
                "KubeCore", "SerinAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // RS256 for Google service-account tokens (stackdriver); SHA-256 and HMAC for
                // AWS SigV4 (CloudWatch, Amazon Managed Prometheus).
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The in-repo application used by analysis tests and the demo: HTTP with a configurable
        // 5xx rate and latency, exporting Prometheus request metrics.
        .target(
            name: "SerinTestApp",
            dependencies: [
                "HTTPServing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "Traffic", dependencies: ["KubeCore", "SerinAPI"], swiftSettings: swiftSettings),
        .target(name: "Delivery", dependencies: ["KubeCore", "SerinAPI", "Traffic"], swiftSettings: swiftSettings),
        // The workloads Serin delivers (the Deployment first): primary copy, readiness, scale, checksum.
        .target(name: "Workloads", dependencies: ["KubeCore", "SerinAPI", "Traffic", "Delivery"], swiftSettings: swiftSettings),
        .target(
            name: "Controllers",
            dependencies: [
                "KubeCore", "KubeClient", "KubeRuntime", "SerinAPI", "Analysis", "Traffic", "Delivery", "Workloads",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // The operator process: flags, JSON logs, health and metrics endpoints, wiring.
        .target(
            name: "SerinOperator",
            dependencies: [
                "KubeCore", "KubeClient", "KubeRuntime", "Analysis", "HTTPServing",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The SRE's command line: get, status, promote, abort, retry, pause, resume, undo, lint, simulate.
        .target(
            name: "SerinCLI",
            dependencies: [
                "KubeCore", "KubeClient", "KubeSchema", "SerinAPI", "Analysis", "Traffic", "Delivery",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                // `serin dashboard`'s local web server.
                "HTTPServing",
            ],
            swiftSettings: swiftSettings
        ),
        // `serin tester`: webhook receiver for Canary webhooks (bash, cmd, load tests, gates).
        .target(
            name: "SerinTester",
            dependencies: [
                "KubeCore", "Analysis", "HTTPServing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // `serin bench`: footprint, reaction, analysis-at-scale, idle, cold-start and CPU figures.
        .target(
            name: "SerinBench",
            dependencies: [
                "KubeCore", "KubeClient", "KubeRuntime", "KubeTestServer", "SerinAPI", "SerinTestApp",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The operator and the SRE's command line: the only binary in the image.
        .executableTarget(
            name: "serin",
            dependencies: [
                "KubeCore", "KubeClient", "KubeRuntime", "Analysis", "Controllers", "SerinOperator", "SerinCLI", "SerinTester",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Development only: the local API server, the demo and the benchmarks.
        .executableTarget(
            name: "serin-dev",
            dependencies: [
                "KubeCore", "KubeTestServer", "Analysis", "SerinAPI", "SerinTestApp", "SerinBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // What every test target shares: polling, the serin binary as a child process.
        .target(name: "SerinTestSupport", path: "Tests/SerinTestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "SerinOperatorTests",
            dependencies: ["SerinTestSupport", "KubeCore", "SerinOperator", "KubeTestServer", "KubeClient"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ControllersTests",
            dependencies: [
                "SerinTestSupport", "HTTPServing",
                "KubeCore", "KubeClient", "KubeRuntime", "KubeTestServer", "SerinAPI", "Analysis", "Traffic",
                "Delivery", "Workloads", "Controllers", "SerinOperator", "SerinTestApp",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "KubeCoreTests", dependencies: ["KubeCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "KubeTestServerTests",
            dependencies: ["SerinTestSupport", "KubeCore", "KubeTestServer", "KubeClient"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KubeClientTests",
            dependencies: [
                "KubeCore", "KubeClient", "KubeTestServer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KubeRuntimeTests",
            dependencies: ["SerinTestSupport", "KubeCore", "KubeClient", "KubeRuntime", "KubeTestServer"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AnalysisTests", dependencies: ["KubeCore", "Analysis", "SerinAPI", "SerinTestApp",
                                                  .product(name: "_CryptoExtras", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SerinCLITests",
            dependencies: ["SerinTestSupport", "KubeCore", "KubeClient", "KubeTestServer", "SerinAPI", "SerinCLI"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SerinTesterTests",
            dependencies: ["SerinTestSupport", "KubeCore", "SerinTester", "SerinTestApp"],
            swiftSettings: swiftSettings
        ),
        // Install artefacts: CRDs against the Swift types, manifests and RBAC against the code.
        .testTarget(
            name: "InstallTests",
            dependencies: ["SerinTestSupport", "KubeCore", "KubeSchema", "KubeTestServer", "SerinAPI", "Analysis", "Traffic"],
            swiftSettings: swiftSettings
        ),
        // Crash, API-server, Prometheus, failover, bad-input and shutdown faults, bounded in time.
        .testTarget(
            name: "FaultToleranceTests",
            dependencies: [
                "SerinTestSupport", "HTTPServing",
                "KubeCore", "KubeClient", "KubeRuntime", "KubeTestServer", "SerinAPI", "Analysis", "Traffic",
                "Delivery", "Workloads", "Controllers", "SerinOperator", "SerinTestApp",
            ],
            // Malformed manifests the bad-input test reads from disk (not resources: never bundled).
            exclude: ["Corpus"],
            swiftSettings: swiftSettings
        ),
        // CEL rules: parser, checker, cost estimate against the real server's verdicts, evaluation.
        .testTarget(
            name: "KubeSchemaTests",
            dependencies: ["KubeCore", "KubeSchema", "KubeTestServer", "KubeClient"],
            // The CRD a real server refused, read from disk by the cost tests (not a resource).
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DeliveryTests", dependencies: ["KubeCore", "SerinAPI", "Delivery", "Traffic", "Workloads"],
            swiftSettings: swiftSettings
        ),
    ]
)

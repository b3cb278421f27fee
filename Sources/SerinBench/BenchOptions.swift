import Foundation

/// The measurements `serin-dev bench` can run.
public enum BenchScenario: String, CaseIterable, Sendable {
    case footprint, idle, coldstart, analysis, reaction

    /// Accepts `cold-start` and `cpu` (CPU per step is measured with the analysis run) too.
    public init?(flag: String) {
        switch flag.lowercased() {
        case "cold-start", "coldstart", "cold_start": self = .coldstart
        case "cpu": self = .analysis
        default: self.init(rawValue: flag.lowercased())
        }
    }
}

/// What to measure and how big; every wait is bounded by `deadlineSeconds` overall.
public struct BenchOptions: Sendable {
    /// Canaries for the idle, cold-start, analysis and reaction measurements.
    public var canaries = 1000
    /// Canary counts at which the operator's memory is measured.
    public var footprintSizes = [0, 1000, 10_000]
    public var scenarios = Set(BenchScenario.allCases)
    /// Wall-clock budget for the whole run; a run that reaches it stops and reports what it has.
    public var deadlineSeconds = 1800.0
    /// Length of the idle window (requests are extrapolated to one hour).
    public var idleSeconds = 60.0
    /// Sequential single-change samples of the reaction measurement.
    public var reactionSamples = 100
    /// Analysis interval of every benchmark Canary (`spec.analysis.interval`).
    public var intervalSeconds = 10
    public var stepWeight = 20
    public var maxWeight = 60
    /// The `serin` executable started as `serin operator`.
    public var serinBinary: String
    /// Serin's CRDs (`crds/`); nil searches the working directory and above the executable.
    public var crdDirectory: String?
    /// Where operator logs and the kubeconfig go.
    public var workDirectory: String
    /// The operator's client-side rate limit (`--kube-api-qps` / `--kube-api-burst`).
    public var operatorQPS = 1000.0
    public var operatorBurst = 2000
    public var operatorWorkers = 4
    /// Serve the test API over HTTPS (as a real API server does); false is plain HTTP.
    public var tls = true

    public init(serinBinary: String, workDirectory: String) {
        self.serinBinary = serinBinary
        self.workDirectory = workDirectory
    }

    /// Small counts and short windows: a smoke run of every measurement in about two minutes.
    public mutating func applyQuick() {
        canaries = min(canaries, 50)
        footprintSizes = [0, 50]
        idleSeconds = 10
        reactionSamples = 20
        deadlineSeconds = min(deadlineSeconds, 300)
    }

    public func wants(_ s: BenchScenario) -> Bool { scenarios.contains(s) }
}

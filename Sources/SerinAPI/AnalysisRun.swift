import KubeCore

/// Argo Rollouts' `AnalysisRun`: one execution of the metrics of one or more templates, with
/// arguments resolved, and its measurements in status.
public struct AnalysisRun: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var metadata: JSONValue
    public var spec: AnalysisRunSpec
    public var status: AnalysisRunStatus?

    public init(name: String, namespace: String, spec: AnalysisRunSpec, status: AnalysisRunStatus? = nil) {
        apiVersion = "serin.dev/v1alpha1"
        kind = "AnalysisRun"
        metadata = ["name": .string(name), "namespace": .string(namespace)]
        self.spec = spec
        self.status = status
    }

    public static let resourceType = ResourceType(
        group: "serin.dev", version: "v1alpha1", plural: "analysisruns", kind: "AnalysisRun", namespaced: true)
}

public struct AnalysisRunSpec: Codable, Sendable, Hashable {
    public var metrics: [AnalysisMetric]
    public var args: [AnalysisArgument]?
    /// Set to stop measuring; running metrics end Successful unless already decided.
    public var terminate: Bool?
    public var dryRun: [AnalysisDryRun]?
    public var measurementRetention: [AnalysisMeasurementRetention]?
    /// Argo's deletion of the run after it completes: accepted, not supported yet (validation names it).
    public var ttlStrategy: AnalysisRunTTLStrategy?

    public init(metrics: [AnalysisMetric], args: [AnalysisArgument]? = nil, terminate: Bool? = nil,
                dryRun: [AnalysisDryRun]? = nil, measurementRetention: [AnalysisMeasurementRetention]? = nil,
                ttlStrategy: AnalysisRunTTLStrategy? = nil) {
        self.ttlStrategy = ttlStrategy
        self.metrics = metrics
        self.args = args
        self.terminate = terminate
        self.dryRun = dryRun
        self.measurementRetention = measurementRetention
    }
}

/// Argo's `spec.ttlStrategy`: seconds after which a completed run is deleted.
public struct AnalysisRunTTLStrategy: Codable, Sendable, Hashable {
    public var secondsAfterCompletion: Int?
    public var secondsAfterFailure: Int?
    public var secondsAfterSuccess: Int?
    public init(secondsAfterCompletion: Int? = nil, secondsAfterFailure: Int? = nil, secondsAfterSuccess: Int? = nil) {
        self.secondsAfterCompletion = secondsAfterCompletion
        self.secondsAfterFailure = secondsAfterFailure
        self.secondsAfterSuccess = secondsAfterSuccess
    }
}

public enum AnalysisPhase: String, Codable, Sendable, Hashable, CaseIterable {
    case pending = "Pending", running = "Running", successful = "Successful", failed = "Failed",
        error = "Error", inconclusive = "Inconclusive"

    public var isCompleted: Bool {
        switch self {
        case .pending, .running: return false
        default: return true
        }
    }
}

public struct AnalysisRunStatus: Codable, Sendable, Hashable {
    public var phase: AnalysisPhase?
    public var message: String?
    public var startedAt: String?
    public var metricResults: [AnalysisMetricResult]?
    public var runSummary: AnalysisRunSummary?
    public var dryRunSummary: AnalysisRunSummary?
    /// kstatus conditions (`Ready`, `Reconciling`, `Stalled`): Serin's, for GitOps health checks.
    public var conditions: [Condition]?

    public init(phase: AnalysisPhase? = nil, message: String? = nil, startedAt: String? = nil,
                metricResults: [AnalysisMetricResult]? = nil, runSummary: AnalysisRunSummary? = nil,
                dryRunSummary: AnalysisRunSummary? = nil) {
        self.phase = phase
        self.message = message
        self.startedAt = startedAt
        self.metricResults = metricResults
        self.runSummary = runSummary
        self.dryRunSummary = dryRunSummary
    }
}

/// Counts of metrics by outcome (Argo's `runSummary`).
public struct AnalysisRunSummary: Codable, Sendable, Hashable {
    public var count: Int
    public var successful: Int
    public var failed: Int
    public var inconclusive: Int
    public var error: Int
    public init(count: Int = 0, successful: Int = 0, failed: Int = 0, inconclusive: Int = 0, error: Int = 0) {
        self.count = count
        self.successful = successful
        self.failed = failed
        self.inconclusive = inconclusive
        self.error = error
    }
}

public struct AnalysisMetricResult: Codable, Sendable, Hashable {
    public var name: String
    public var phase: AnalysisPhase
    public var measurements: [AnalysisMeasurement]?
    public var message: String?
    /// Measurements taken (including errors), the counts by outcome, and the current error streak.
    public var count: Int?
    public var successful: Int?
    public var failed: Int?
    public var inconclusive: Int?
    public var error: Int?
    public var consecutiveError: Int?
    public var dryRun: Bool?

    public init(name: String, phase: AnalysisPhase, measurements: [AnalysisMeasurement]? = nil, message: String? = nil,
                count: Int? = nil, successful: Int? = nil, failed: Int? = nil, inconclusive: Int? = nil,
                error: Int? = nil, consecutiveError: Int? = nil, dryRun: Bool? = nil) {
        self.name = name
        self.phase = phase
        self.measurements = measurements
        self.message = message
        self.count = count
        self.successful = successful
        self.failed = failed
        self.inconclusive = inconclusive
        self.error = error
        self.consecutiveError = consecutiveError
        self.dryRun = dryRun
    }
}

public struct AnalysisMeasurement: Codable, Sendable, Hashable {
    /// Successful, Failed, Inconclusive, Error (Running while in flight).
    public var phase: AnalysisPhase
    public var message: String?
    /// RFC 3339.
    public var startedAt: String?
    public var finishedAt: String?
    /// The result as text: `0.99` for a scalar, `[0.99]` for a vector.
    public var value: String?
    /// Provider details worth showing, e.g. the query as sent, p-value, effect size.
    public var metadata: [String: String]?

    public init(phase: AnalysisPhase, message: String? = nil, startedAt: String? = nil, finishedAt: String? = nil,
                value: String? = nil, metadata: [String: String]? = nil) {
        self.phase = phase
        self.message = message
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.value = value
        self.metadata = metadata
    }
}

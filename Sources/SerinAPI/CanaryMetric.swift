/// One metric check of a Canary's analysis (Flagger's `analysis.metrics[]` shape, plus
/// `onNoData`, `percentile` and `judge`).
public struct CanaryMetric: Codable, Sendable, Hashable {
    public var name: String
    /// Duration string (`1m`); the window of the builtin queries.
    public var interval: String?
    /// Flagger's per-metric `threshold` (deprecated there, still honoured): see `bounds`.
    public var threshold: Double?
    public var thresholdRange: ThresholdRange?
    /// Inline PromQL (Flagger's deprecated form, still accepted).
    public var query: String?
    public var templateRef: TemplateRef?
    public var templateVariables: [String: String]?
    /// What a query that returns nothing (or NaN) means. Default Fail.
    public var onNoData: NoDataPolicy?
    /// For `request-duration`: the quantile, e.g. 0.95. Default 0.99.
    public var percentile: Double?
    /// `threshold` (default) compares against thresholdRange; `compare` runs the
    /// canary-versus-primary Mann–Whitney judge.
    public var judge: JudgeKind?
    /// For `judge: compare`: confidence level (default 0.95) and allowed relative increase (default 0.1).
    public var confidence: Double?
    public var allowedIncrease: Double?

    public init(name: String, interval: String? = nil, threshold: Double? = nil, thresholdRange: ThresholdRange? = nil, query: String? = nil,
                templateRef: TemplateRef? = nil, templateVariables: [String: String]? = nil,
                onNoData: NoDataPolicy? = nil, percentile: Double? = nil, judge: JudgeKind? = nil,
                confidence: Double? = nil, allowedIncrease: Double? = nil) {
        self.name = name
        self.interval = interval
        self.threshold = threshold
        self.thresholdRange = thresholdRange
        self.query = query
        self.templateRef = templateRef
        self.templateVariables = templateVariables
        self.onNoData = onNoData
        self.percentile = percentile
        self.judge = judge
        self.confidence = confidence
        self.allowedIncrease = allowedIncrease
    }
}

extension CanaryMetric {
    /// The range a value is judged against, as Flagger judges it: `thresholdRange` when set;
    /// otherwise `threshold` is a minimum for the builtin request-success-rate, a maximum
    /// (milliseconds) for the builtin request-duration, and a maximum for queries and templates.
    public var bounds: ThresholdRange? {
        if let thresholdRange { return thresholdRange }
        guard let threshold else { return nil }
        if query == nil, templateRef == nil, name == "request-success-rate" { return ThresholdRange(min: threshold) }
        return ThresholdRange(max: threshold)
    }
}

public struct ThresholdRange: Codable, Sendable, Hashable {
    public var min: Double?
    public var max: Double?
    public init(min: Double? = nil, max: Double? = nil) {
        self.min = min
        self.max = max
    }
}

public struct TemplateRef: Codable, Sendable, Hashable {
    public var name: String
    public var namespace: String?
    public init(name: String, namespace: String? = nil) {
        self.name = name
        self.namespace = namespace
    }
}

public enum NoDataPolicy: String, Codable, Sendable, Hashable, CaseIterable {
    case fail = "Fail", hold = "Hold", pass = "Pass"
}

public enum JudgeKind: String, Codable, Sendable, Hashable {
    case threshold, compare
}

/// The outcome of one metric check, as shown in status and used by the decision core.
public struct MetricCheckResult: Codable, Sendable, Hashable {
    public enum Verdict: String, Codable, Sendable, Hashable {
        /// Within the threshold.
        case pass = "Pass"
        /// Outside the threshold: counts a failed check.
        case fail = "Fail"
        /// No data and onNoData Hold: neither advances nor counts a failure.
        case hold = "Hold"
        /// The query could not be run or its answer not read (counts as failed).
        case error = "Error"
    }

    public var name: String
    /// The query exactly as sent (after variable substitution).
    public var query: String
    public var value: Double?
    /// Human-readable threshold, e.g. `>= 99` or `<= 500`, or `canary ≤ primary × 1.1 (95%)`.
    public var threshold: String
    public var verdict: Verdict
    /// Why: "97.2 < 99", "no data (onNoData=Hold)", "Prometheus error: …". Never a credential.
    public var message: String
    /// True when the query returned nothing or NaN (the no-data policy decided the verdict).
    public var noData: Bool
    /// RFC 3339.
    public var checkedAt: String
    /// For `judge: compare`.
    public var pValue: Double?
    public var effectSize: Double?

    public init(name: String, query: String, value: Double?, threshold: String, verdict: Verdict, message: String,
                noData: Bool = false, checkedAt: String, pValue: Double? = nil, effectSize: Double? = nil) {
        self.name = name
        self.query = query
        self.value = value
        self.threshold = threshold
        self.verdict = verdict
        self.message = message
        self.noData = noData
        self.checkedAt = checkedAt
        self.pValue = pValue
        self.effectSize = effectSize
    }
}

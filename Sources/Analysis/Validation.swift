import SerinAPI

/// Checks to run at admission (or when a resource is first seen), so that a typo becomes an
/// InvalidSpec condition naming the field instead of a failed check minutes later.
public enum AnalysisValidation {
    /// Problems in a template: condition parse errors (with position), durations, counts, providers.
    public static func validate(_ spec: AnalysisTemplateSpec) -> [String] {
        var problems = spec.includeProblems
        let included = !(spec.templates ?? []).isEmpty
        // A template made only of included templates has no metrics of its own; that is not a second problem.
        problems += AnalysisRunEvaluator.validate(AnalysisRunSpec(metrics: spec.metrics, args: spec.args))
            .filter { !(included && $0 == "no metrics") }
        let declared = Set((spec.args ?? []).map(\.name))
        for m in spec.metrics {
            let texts = [m.provider.prometheus?.query, m.provider.compare?.canaryQuery, m.provider.compare?.baselineQuery,
                         m.successCondition, m.failureCondition].compactMap { $0 }
            for name in texts.flatMap(QueryTemplate.argumentNames) where !declared.contains(name) {
                problems.append("metric \"\(m.name)\" uses {{args.\(name)}} but the template declares no argument \"\(name)\"")
            }
        }
        var seen = Set<String>()
        return problems.filter { seen.insert($0).inserted }
    }

    /// What a template's provider says of its address and rendered query.
    static func providerProblems(_ template: MetricTemplate, query: String) -> [String] {
        guard let type = MetricProviders.type(named: template.spec.provider.type) else { return [] }
        var out: [String] = []
        let name = template.metadata["name"].stringValue ?? "template"
        if case .required(let example) = type.unsetAddress, (template.spec.provider.address ?? "").isEmpty,
           type.defaultAddress == nil {
            out.append("MetricTemplate \(name): the \(type.name) provider needs provider.address, e.g. \(example)")
        }
        if let why = type.queryProblem(query) { out.append("MetricTemplate \(name): \(why)") }
        return out
    }

    /// Problems in a Canary metric: not a builtin and no query or template, bad percentile,
    /// bad interval, an empty threshold range with min above max, compare settings out of range.
    public static func validate(_ metric: CanaryMetric, provider: MeshProvider = .kubernetes,
                                template: MetricTemplate? = nil) -> [String] {
        var problems: [String] = []
        let ctx = CanaryMetricContext(name: "n", namespace: "ns", target: "t", provider: provider)
        // A missing template is the controller's to report (it may appear later); check the rest.
        if metric.templateRef == nil || template != nil {
            do {
                let query = try CanaryMetricEvaluator.query(for: metric, context: ctx, template: template)
                if let template { problems += providerProblems(template, query: query).map { "metric \"\(metric.name)\": \($0)" } }
            } catch {
                problems.append("metric \"\(metric.name)\": \(error)")
            }
        }
        if let r = metric.thresholdRange, let lo = r.min, let hi = r.max, lo > hi {
            problems.append("metric \"\(metric.name)\": thresholdRange.min \(PromFormat.number(lo)) > max \(PromFormat.number(hi))")
        }
        if let c = metric.confidence, !(c > 0 && c < 1) {
            problems.append("metric \"\(metric.name)\": confidence \(PromFormat.number(c)) must be between 0 and 1 (e.g. 0.95)")
        }
        if let a = metric.allowedIncrease, !(a >= 0) {
            problems.append("metric \"\(metric.name)\": allowedIncrease must be >= 0 (0.1 = 10%)")
        }
        return problems
    }
}

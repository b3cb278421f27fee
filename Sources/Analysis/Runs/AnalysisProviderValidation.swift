import KubeCore
import SerinAPI

extension AnalysisRunEvaluator {
    /// The providers Serin measures AnalysisRun metrics with, for messages.
    static var measuredProviders: String {
        (["prometheus", "compare"] + MetricProviders.analysisKeys).joined(separator: ", ")
    }

    /// A metric's provider problems: none set, one Serin lacks (named), bad settings of one it has.
    static func providerProblems(_ m: AnalysisMetric) -> [String] {
        var problems: [String] = []
        let others = m.provider.otherProviders
        for (key, settings) in others {
            guard let type = MetricProviders.type(analysisKey: key) else {
                problems.append("metric \"\(m.name)\" provider.\(key): the \(key) metric provider is not supported by Serin yet; use one of \(measuredProviders)")
                continue
            }
            for p in type.problems(analysis: settings) { problems.append("metric \"\(m.name)\" provider.\(key).\(p)") }
        }
        let count = others.count + (m.provider.prometheus == nil ? 0 : 1) + (m.provider.compare == nil ? 0 : 1)
        if count == 0 {
            problems.append("metric \"\(m.name)\": no provider (\(measuredProviders))")
        } else if count > 1 {
            problems.append("metric \"\(m.name)\": more than one provider is set; keep one of them")
        }
        return problems
    }
}

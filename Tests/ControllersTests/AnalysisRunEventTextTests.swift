@testable import Controllers
import SerinAPI
import Testing

/// The phase-change Event messages: which metric decided, its value, and the condition.
@Suite("AnalysisRun event text")
struct AnalysisRunEventTextTests {
    static let spec = AnalysisRunSpec(metrics: [
        AnalysisMetric(name: "success-rate", successCondition: "result[0] >= 0.95",
                       provider: AnalysisMetricProvider(prometheus: PrometheusProviderSpec(query: "q1"))),
        AnalysisMetric(name: "errors", successCondition: "result < 5", failureCondition: "result > 10",
                       provider: AnalysisMetricProvider(prometheus: PrometheusProviderSpec(query: "q2"))),
    ])

    static func status(_ phase: AnalysisPhase, _ results: [AnalysisMetricResult], message: String? = nil) -> AnalysisRunStatus {
        AnalysisRunStatus(phase: phase, message: message, metricResults: results)
    }

    @Test("a false successCondition names the metric, the unwrapped value and the condition")
    func failedBySuccessCondition() {
        let r = AnalysisMetricResult(name: "success-rate", phase: .failed, measurements: [
            AnalysisMeasurement(phase: .successful, value: "[0.99]"),
            AnalysisMeasurement(phase: .failed, message: "successCondition \"result[0] >= 0.95\" is false for [0.9]", value: "[0.9]"),
        ])
        let text = AnalysisRunEventText.message(run: "order-service-analysis-x", spec: Self.spec, status: Self.status(.failed, [r]))
        #expect(text == "AnalysisRun order-service-analysis-x Failed: success-rate 0.9 (result[0] >= 0.95 is false)")
    }

    @Test("a true failureCondition is named as true; both false is inconclusive")
    func failureAndInconclusive() {
        let failed = AnalysisMetricResult(name: "errors", phase: .failed, measurements: [
            AnalysisMeasurement(phase: .failed, message: "failureCondition \"result > 10\" is true for 12", value: "12"),
        ])
        let f = AnalysisRunEventText.message(run: "r", spec: Self.spec, status: Self.status(.failed, [failed]))
        #expect(f == "AnalysisRun r Failed: errors 12 (result > 10 is true)")
        let inconclusive = AnalysisMetricResult(name: "errors", phase: .inconclusive, measurements: [
            AnalysisMeasurement(phase: .inconclusive, message: "neither condition is true for 7", value: "7"),
        ])
        let i = AnalysisRunEventText.message(run: "r", spec: Self.spec, status: Self.status(.inconclusive, [inconclusive]))
        #expect(i == "AnalysisRun r Inconclusive: errors 7 (neither result < 5 nor result > 10 is true)")
    }

    @Test("Error carries the run's message; vectors of several values stay as they are")
    func errorAndVectors() {
        let e = AnalysisRunEventText.message(run: "r", spec: Self.spec,
                                             status: Self.status(.error, [], message: "metric \"x\" successCondition: bad at position 4"))
        #expect(e == "AnalysisRun r Error: metric \"x\" successCondition: bad at position 4")
        #expect(AnalysisRunEventText.unwrapped("[0.9,0.8]") == "[0.9,0.8]")
        #expect(AnalysisRunEventText.unwrapped("[]") == "[]")
        #expect(AnalysisRunEventText.unwrapped("0.5") == "0.5")
    }
}

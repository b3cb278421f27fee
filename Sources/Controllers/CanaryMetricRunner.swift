import Analysis
import Foundation
import KubeCore
import SerinAPI

/// Runs a Canary's metric checks: resolves `templateRef` (and the template's credentials
/// Secret) through the API server, then asks the Prometheus at the template's address or the
/// operator's `--metrics-server`. Never throws: a failure is a check with verdict Error.
struct CanaryMetricRunner: Sendable {
    let api: any KubeAPI
    let evaluator: CanaryMetricEvaluator
    /// The Canary's `spec.metricsServer`, for metrics without a template.
    var builtinAddress: String? = nil

    func run(_ metrics: [CanaryMetric], canary: Canary, provider: String) async -> [MetricCheckResult] {
        let context = CanaryMetricContext(
            name: canary.name, namespace: canary.namespace, target: canary.spec.targetRef.name,
            service: canary.spec.apexServiceName, interval: canary.spec.effectiveAnalysis.interval ?? "1m",
            provider: MeshProvider(flaggerName: provider) ?? .kubernetes,
            primaryTarget: canary.spec.primaryDeploymentName, ingress: canary.spec.ingressRef?.name,
            route: canary.spec.routeRef?.name)
        // Flagger's spec.metricsServer replaces the operator's --metrics-server for this canary's
        // builtin and inline-query metrics; a template keeps its own address.
        var runner = self
        if let server = canary.spec.metricsServer, !server.isEmpty {
            runner = CanaryMetricRunner(api: api, evaluator: evaluator, builtinAddress: server)
        }
        let chosen = runner
        return await withTaskGroup(of: (Int, MetricCheckResult).self) { group in
            for (i, m) in metrics.enumerated() {
                group.addTask { (i, await chosen.check(m, context: context, namespace: canary.namespace)) }
            }
            var out: [(Int, MetricCheckResult)] = []
            for await r in group { out.append(r) }
            return out.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    private func check(_ metric: CanaryMetric, context: CanaryMetricContext, namespace: String) async -> MetricCheckResult {
        guard let ref = metric.templateRef else {
            var builtin = evaluator
            if let builtinAddress { builtin.defaultAddress = builtinAddress }
            return await builtin.evaluate(metric, context: context)
        }
        let ns = ref.namespace ?? namespace
        let template: MetricTemplate
        do {
            let json = try await api.get(.metricTemplates, namespace: ns, name: ref.name)
            template = try json.decode(as: MetricTemplate.self)
        } catch let e as KubeAPIError where e.isNotFound {
            return failed(metric, "MetricTemplate \(ns)/\(ref.name) not found")
        } catch {
            return failed(metric, "MetricTemplate \(ns)/\(ref.name) could not be read: \(error)")
        }
        var credentials = MetricCredentials.none
        if let secretRef = template.spec.provider.secretRef {
            do {
                let secret = try await api.get(.secrets, namespace: ns, name: secretRef.name)
                credentials = MetricCredentials(
                    secretData: Self.decodedData(secret), headers: template.spec.provider.headerFields,
                    insecureSkipVerify: template.spec.provider.insecureSkipVerify ?? false)
            } catch {
                // The message names the Secret, never its content.
                return failed(metric, "Secret \(ns)/\(secretRef.name) of MetricTemplate \(ref.name) could not be read")
            }
        }
        return await evaluator.evaluate(metric, context: context, template: template, credentials: credentials)
    }

    private func failed(_ metric: CanaryMetric, _ message: String) -> MetricCheckResult {
        MetricCheckResult(
            name: metric.name, query: "", value: nil,
            threshold: CanaryMetricEvaluator.thresholdDescription(metric.bounds), verdict: .error,
            message: message, checkedAt: KubeTime.format(evaluator.now()))
    }

    /// A Secret's `data` (base64) and `stringData`, decoded.
    static func decodedData(_ secret: JSONValue) -> [String: String] { MetricSecrets.decodedData(secret) }
}

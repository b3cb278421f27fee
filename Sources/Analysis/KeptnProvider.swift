import Foundation
import KubeCore
import SerinAPI

/// Keptn's metrics through the Kubernetes API, as Flagger's `type: keptn` MetricTemplates use
/// them. The query (lower-cased, as Flagger reads it) is
/// `<keptnmetric|analysis>/<namespace>/<name>[/<duration>[/<key>=<value>;…]]`:
///
/// - `keptnmetric/NS/NAME`: the `status.value` of KeptnMetric NS/NAME (`metrics.keptn.sh/v1beta1`);
///   a KeptnMetric without a value yet is no data.
/// - `analysis/NS/DEFINITION/DURATION/ARGS`: an Analysis of AnalysisDefinition DEFINITION over
///   the last DURATION (default 1m) with ARGS is created, watched until Keptn completes it
///   (within the query timeout, at most 10s as in Flagger), and deleted; the value is 1 when
///   it passed, 0 when it did not.
public struct KeptnProvider: MetricProvider {
    public static var names: [String] { ["keptn"] }
    public static var unsetAddress: UnsetAddress { .kubernetesAPI }

    public static func queryProblem(_ query: String) -> String? {
        do { _ = try Query(query) } catch { return "\(error)" }
        return nil
    }

    static let keptnMetrics = ResourceType(group: "metrics.keptn.sh", version: "v1beta1", plural: "keptnmetrics", kind: "KeptnMetric")
    static let analyses = ResourceType(group: "metrics.keptn.sh", version: "v1beta1", plural: "analyses", kind: "Analysis")
    /// Flagger waits 10s for Keptn to evaluate an Analysis.
    static let analysisTimeout = 10.0

    let kube: (any KubeAPI)?
    var pollInterval: Duration = .seconds(1)

    public init(clients: MetricClients) { kube = clients.kube }

    /// One parsed query.
    struct Query: Equatable {
        enum Kind: Equatable { case keptnMetric, analysis }
        var kind: Kind
        var namespace: String
        var name: String
        var duration: String
        var arguments: [String: String]

        static let shape = "<keptnmetric|analysis>/<namespace>/<name>/<duration>/<key>=<value>;…"

        init(_ text: String) throws {
            let parts = text.lowercased().trimmingCharacters(in: .whitespacesAndNewlines)
                .split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 3 else { throw MetricSpecError("keptn query \"\(text)\" is not \(Self.shape)") }
            switch parts[0] {
            case "keptnmetric", "keptnmetrics": kind = .keptnMetric
            case "analysis", "analyses": kind = .analysis
            default: throw MetricSpecError("keptn query kind \"\(parts[0])\" is not keptnmetric or analysis (\(Self.shape))")
            }
            namespace = parts[1]
            name = parts[2]
            guard !namespace.isEmpty, !name.isEmpty else { throw MetricSpecError("keptn query \"\(text)\" needs a namespace and a name (\(Self.shape))") }
            duration = parts.count >= 4 && !parts[3].isEmpty ? parts[3] : "1m"
            arguments = [:]
            if parts.count >= 5 {
                for pair in parts[4].split(separator: ";") {
                    let kv = pair.split(separator: "=", omittingEmptySubsequences: false)
                    if kv.count == 2 { arguments[String(kv[0])] = String(kv[1]) }
                }
            }
        }
    }

    public func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer {
        let q = try Query(query)
        guard let kube else { throw MetricSpecError("the keptn provider needs the Kubernetes API") }
        switch q.kind {
        case .keptnMetric: return try await keptnMetric(q, kube: kube)
        case .analysis: return try await analysis(q, kube: kube, timeout: min(endpoint.timeout, Self.analysisTimeout))
        }
    }

    func keptnMetric(_ q: Query, kube: any KubeAPI) async throws -> MetricAnswer {
        let object: JSONValue
        do { object = try await kube.get(Self.keptnMetrics, namespace: q.namespace, name: q.name) } catch let e as KubeAPIError where e.isNotFound {
            throw MetricSpecError("KeptnMetric \(q.namespace)/\(q.name) not found (is Keptn's metrics operator installed and the KeptnMetric created?)")
        }
        let value = object[path: ["status", "value"]]
        guard let text = value.stringValue, !text.isEmpty else {
            return MetricAnswer(value: .null) { .noData(reason: "KeptnMetric \(q.namespace)/\(q.name) has no status.value yet") }
        }
        guard let number = Double(text) else {
            throw MetricSpecError("the status.value \"\(text)\" of KeptnMetric \(q.namespace)/\(q.name) is not a number")
        }
        return MetricAnswer(number: number)
    }

    func analysis(_ q: Query, kube: any KubeAPI, timeout: Double) async throws -> MetricAnswer {
        let suffix = String(UUID().uuidString.lowercased().prefix(6))
        var args: [String: JSONValue] = [:]
        for (k, v) in q.arguments { args[k] = .string(v) }
        let manifest: JSONValue = [
            "apiVersion": "metrics.keptn.sh/v1beta1", "kind": "Analysis",
            "metadata": ["name": .string("\(q.name)-\(suffix)"), "namespace": .string(q.namespace)],
            "spec": ["analysisDefinition": ["name": .string(q.name)], "timeframe": ["recent": .string(q.duration)], "args": .object(args)],
        ]
        let created: JSONValue
        do { created = try await kube.create(Self.analyses, namespace: q.namespace, manifest) } catch let e as KubeAPIError where e.isNotFound {
            throw MetricSpecError("cannot create a Keptn Analysis in \(q.namespace): the analyses.metrics.keptn.sh resource is not served (is Keptn installed?)")
        }
        let name = created.name ?? "\(q.name)-\(suffix)"
        let outcome: Result<MetricAnswer, any Error>
        do { outcome = .success(try await completion(of: name, namespace: q.namespace, kube: kube, timeout: timeout)) } catch {
            outcome = .failure(error)
        }
        // The Analysis is Serin's own: deleted whatever the outcome.
        _ = try? await kube.delete(Self.analyses, namespace: q.namespace, name: name)
        return try outcome.get()
    }

    /// 1 when Keptn completed the Analysis as passed, 0 when not; an error when it does not complete in time.
    func completion(of name: String, namespace: String, kube: any KubeAPI, timeout: Double) async throws -> MetricAnswer {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: pollInterval)
            let current = try await kube.get(Self.analyses, namespace: namespace, name: name)
            guard current[path: ["status", "state"]].stringValue == "Completed" else { continue }
            guard let pass = current[path: ["status", "pass"]].boolValue else { continue }
            return MetricAnswer(number: pass ? 1 : 0)
        }
        throw MetricSpecError("Keptn did not complete Analysis \(namespace)/\(name) within \(PromFormat.number(timeout))s")
    }
}

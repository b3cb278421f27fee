import Foundation
import KubeCore
import SerinAPI

/// Argo's `job` metric provider: a batch/v1 Job made from the metric's `metadata` and `spec`,
/// owned by the AnalysisRun and named `<run uid>.<metric>.<measurement number>` so a step
/// that runs again finds the Job it created. The measurement is Running until the Job's
/// Complete condition (Successful) or Failed condition (Failed); a terminating run deletes it.
public struct JobProvider: MetricProvider {
    public static var names: [String] { ["job"] }
    public static var analysisKey: String? { "job" }
    public static var answersQueries: Bool { false }

    /// Argo's keys: the Job's labels and annotations, and the measurement's metadata.
    public static let runUIDLabel = "analysisrun.argoproj.io/uid"
    public static let runNameAnnotation = "analysisrun.argoproj.io/name"
    public static let metricNameAnnotation = "analysisrun.argoproj.io/metric-name"
    public static let jobNameKey = "job-name"

    let kube: (any KubeAPI)?

    public init(clients: MetricClients) { kube = clients.kube }

    public func query(_ query: String, endpoint: MetricEndpoint) async throws -> MetricAnswer {
        throw MetricSpecError("the job provider measures AnalysisRun metrics only (provider.job with a Job spec)")
    }

    public static func problems(analysis settings: JSONValue) -> [String] {
        let spec = settings["spec"]
        guard spec.objectValue != nil else {
            return ["spec: is required; write the Job's spec (template with containers and restartPolicy: Never or OnFailure)"]
        }
        guard let pod = spec[path: ["template", "spec"]].objectValue, let containers = pod["containers"]?.arrayValue,
              !containers.isEmpty else {
            return ["spec.template.spec.containers: is required; list the container that measures"]
        }
        if let policy = pod["restartPolicy"]?.stringValue, policy != "Never", policy != "OnFailure", !policy.contains("{{") {
            return ["spec.template.spec.restartPolicy: a Job's pods restart Never or OnFailure, not \(policy)"]
        }
        return []
    }

    /// The Job for a measurement.
    public static func job(settings: JSONValue, context: AnalysisProviderContext) -> JSONValue {
        let run = context.run
        var labels = settings[path: ["metadata", "labels"]].objectValue ?? [:]
        labels[runUIDLabel] = .string(run.uid)
        var annotations = settings[path: ["metadata", "annotations"]].objectValue ?? [:]
        annotations[runNameAnnotation] = .string(run.name)
        annotations[metricNameAnnotation] = .string(context.metricName)
        let owner: JSONValue = [
            "apiVersion": "serin.dev/v1alpha1", "kind": "AnalysisRun", "name": .string(run.name), "uid": .string(run.uid),
            "controller": true, "blockOwnerDeletion": true,
        ]
        return [
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": [
                "name": .string(name(context)), "namespace": .string(run.namespace), "labels": .object(labels),
                "annotations": .object(annotations), "ownerReferences": [owner],
            ],
            "spec": settings["spec"],
        ]
    }

    /// `<run uid>.<metric>.<measurement number>`, as Argo names it.
    public static func name(_ context: AnalysisProviderContext) -> String {
        "\(context.run.uid).\(context.metricName).\(context.measurementIndex)"
    }

    func api() throws -> any KubeAPI {
        guard let kube else { throw MetricSpecError("the job provider needs the Kubernetes API (run it in the operator)") }
        return kube
    }

    public func measure(analysis settings: JSONValue, context: AnalysisProviderContext) async throws -> ProviderMeasurement {
        if let first = Self.problems(analysis: settings).first { throw MetricSpecError("provider.job.\(first)") }
        guard !context.run.uid.isEmpty else { throw MetricSpecError("the job provider needs the AnalysisRun's uid to own its Job") }
        let api = try api()
        let job = Self.job(settings: settings, context: context)
        let name = Self.name(context), ns = context.run.namespace
        do {
            _ = try await api.create(.jobs, namespace: ns, job)
        } catch let e as KubeAPIError where e.isAlreadyExists {
            // A step that ran before (the operator restarted before writing status): adopt our own Job.
            let existing = try await api.get(.jobs, namespace: ns, name: name)
            let owner = (existing[path: ["metadata", "ownerReferences"]].arrayValue ?? [])
                .first { $0["controller"].boolValue == true }
            guard owner?["uid"].stringValue == context.run.uid else {
                throw MetricSpecError("Job \(ns)/\(name) exists and is not owned by AnalysisRun \(context.run.name)")
            }
        } catch let e as KubeAPIError {
            throw MetricSpecError("Job \(ns)/\(name) could not be created: \(e)")
        }
        return .running(metadata: [Self.jobNameKey: name])
    }

    public func resume(analysis settings: JSONValue, measurement: AnalysisMeasurement,
                       context: AnalysisProviderContext) async throws -> ProviderMeasurement {
        let md = measurement.metadata ?? [:]
        guard let name = md[Self.jobNameKey] else { throw MetricSpecError("the measurement names no Job (metadata job-name)") }
        let ns = context.run.namespace
        let job: JSONValue
        do {
            job = try await api().get(.jobs, namespace: ns, name: name)
        } catch let e as KubeAPIError where e.isNotFound {
            throw MetricSpecError("Job \(ns)/\(name) was deleted before it finished")
        }
        for c in job[path: ["status", "conditions"]].arrayValue ?? [] where c["status"].stringValue == "True" {
            let why = [c["reason"].stringValue, c["message"].stringValue].compactMap { $0 }.filter { !$0.isEmpty }
            let detail = why.isEmpty ? "" : ": " + why.joined(separator: ": ")
            switch c["type"].stringValue {
            case "Complete":
                try await collectGarbage(context)
                return .finished(.successful, message: "Job \(name) completed\(detail)", metadata: md)
            case "Failed":
                try await collectGarbage(context)
                return .finished(.failed, message: "Job \(name) failed\(detail)", metadata: md)
            default: continue
            }
        }
        return .running(metadata: md)
    }

    static func created(_ job: JSONValue) -> String { job[path: ["metadata", "creationTimestamp"]].stringValue ?? "" }

    /// The measurement number a Job's name ends with (`….<n>`).
    static func number(_ job: JSONValue) -> Int { Int(job.name?.split(separator: ".").last ?? "") ?? 0 }

    /// Argo's GarbageCollect: the metric's Jobs beyond the measurements kept, oldest first, are deleted.
    func collectGarbage(_ context: AnalysisProviderContext) async throws {
        let api = try api()
        let ns = context.run.namespace
        let list = try await api.list(.jobs, namespace: ns, options: ListOptions(labelSelector: "\(Self.runUIDLabel)=\(context.run.uid)"))
        let mine = list.items
            .filter { $0[path: ["metadata", "annotations", Self.metricNameAnnotation]].stringValue == context.metricName }
            .sorted { (Self.created($0), Self.number($0)) < (Self.created($1), Self.number($1)) }
        for old in mine.dropLast(context.retention) {
            guard let name = old.name else { continue }
            do {
                try await api.delete(.jobs, namespace: ns, name: name, options: DeleteOptions(propagationPolicy: .foreground))
            } catch let e as KubeAPIError where e.isNotFound {}
        }
    }

    public func terminate(analysis settings: JSONValue, measurement: AnalysisMeasurement,
                          context: AnalysisProviderContext) async throws -> ProviderMeasurement {
        let md = measurement.metadata ?? [:]
        guard let name = md[Self.jobNameKey] else { throw MetricSpecError("the measurement names no Job (metadata job-name)") }
        do {
            try await api().delete(.jobs, namespace: context.run.namespace, name: name,
                                   options: DeleteOptions(propagationPolicy: .foreground))
        } catch let e as KubeAPIError where e.isNotFound {}
        return .finished(.successful, message: "run terminated; Job \(name) deleted", metadata: md)
    }
}

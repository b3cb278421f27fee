import Analysis
import Delivery
import Foundation
import KubeCore
import SerinAPI

/// AnalysisRuns from a Rollout's analysis: the templates' metrics, the Rollout's args resolved
/// (values, pod-template hashes, fields of the Rollout), owned by the Rollout.
enum RolloutAnalysisRuns {
    /// The run to create. A template that is missing or args that do not fit become a run that
    /// is already in Error with the reason (the Rollout then aborts and says why).
    static func build(_ req: RolloutAnalysisRequest, rollout: JSONValue, ownerReference: JSONValue,
                      api: any KubeAPI) async throws -> (run: JSONValue, failure: String?) {
        let ns = rollout.namespace ?? ""
        var spec = AnalysisRunSpec(metrics: [])
        var failure: String?
        switch try await templates(req, namespace: ns, api: api) {
        case .failure(let why):
            failure = why.description
        case .success(let templates):
            switch runSpec(req, templates: templates, rollout: rollout) {
            case .success(let s): spec = s
            case .failure(let why): failure = why.description
            }
        }
        var run = try JSONValue(encoding: AnalysisRun(name: req.name, namespace: ns, spec: spec))
        var labels: [String: String] = req.analysis.analysisRunMetadata?.labels ?? [:]
        labels[RolloutLabels.rolloutName] = rollout.name ?? ""
        // The run belongs to the operator instance that runs its Rollout (sharding).
        if let instance = rollout.labels[RolloutLabels.controllerInstance] { labels[RolloutLabels.controllerInstance] = instance }
        labels[RolloutLabels.analysisType] = req.kind.rawValue
        labels[RolloutLabels.podTemplateHash] = req.latestHash
        if let i = req.stepIndex { labels[RolloutLabels.stepIndex] = String(i) }
        run[path: ["metadata", "labels"]] = .object(labels.mapValues { .string($0) })
        if let a = req.analysisRunMetadata, !a.isEmpty {
            run[path: ["metadata", "annotations"]] = .object(a.mapValues { .string($0) })
        }
        run[path: ["metadata", "ownerReferences"]] = [ownerReference]
        return (run, failure)
    }

    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// The specs of the templates the analysis names, each followed by the templates it
    /// includes (`spec.templates`, Argo's composition, resolved recursively), or what is wrong
    /// with one.
    static func templates(_ req: RolloutAnalysisRequest, namespace ns: String, api: any KubeAPI) async throws
        -> Result<[AnalysisTemplateSpec], Problem>
    {
        let refs = (req.analysis.templates ?? []).map { AnalysisTemplateInclude(templateName: $0.templateName, clusterScope: $0.clusterScope) }
        var out: [AnalysisTemplateSpec] = []
        var seen: Set<String> = []
        if let problem = try await collect(refs, namespace: ns, api: api, chain: [], seen: &seen, into: &out) {
            return .failure(problem)
        }
        return .success(out)
    }

    /// How deep includes may nest: a guard against a chain no one meant, not a limit of Argo's.
    static let maxIncludeDepth = 10

    /// Appends each template of `refs` and, after it, what it includes. A template reached twice
    /// (two includes of a shared one) is taken once; a template that includes itself, directly
    /// or through others, is an error naming the cycle.
    private static func collect(_ refs: [AnalysisTemplateInclude], namespace ns: String, api: any KubeAPI, chain: [String],
                                seen: inout Set<String>, into out: inout [AnalysisTemplateSpec]) async throws -> Problem? {
        for ref in refs {
            let cluster = ref.clusterScope == true
            let kind = cluster ? "ClusterAnalysisTemplate" : "AnalysisTemplate"
            let name = ref.templateName ?? ""
            let key = "\(kind)/\(name)"
            if chain.contains(key) {
                return Problem(description: "\(kind) \(name) includes itself (\((chain + [key]).joined(separator: " → "))); remove one of the spec.templates entries")
            }
            if chain.count >= maxIncludeDepth {
                return Problem(description: "\(kind) \(name): templates include one another more than \(maxIncludeDepth) deep (\(chain.joined(separator: " → ")))")
            }
            guard seen.insert(key).inserted else { continue }
            let obj: JSONValue
            do {
                obj = try await api.get(cluster ? .clusterAnalysisTemplates : .analysisTemplates,
                                        namespace: cluster ? nil : ns, name: name)
            } catch let e as KubeAPIError where e.isNotFound {
                let via = chain.isEmpty ? "" : " (included by \(chain.last!))"
                return Problem(description: "\(kind) \(name) not found\(cluster ? "" : " in \(ns)")\(via)")
            }
            guard let t = try? obj.decode(as: AnalysisTemplate.self) else {
                return Problem(description: "\(kind) \(name) does not decode as an AnalysisTemplate")
            }
            if let why = t.spec.includeProblems.first {
                return Problem(description: "\(kind) \(name): \(why)")
            }
            out.append(t.spec)
            if let problem = try await collect(t.spec.templates ?? [], namespace: ns, api: api, chain: chain + [key],
                                               seen: &seen, into: &out) {
                return problem
            }
        }
        return nil
    }

    /// The run's spec: the templates' metrics with the Rollout's args merged in.
    static func runSpec(_ req: RolloutAnalysisRequest, templates: [AnalysisTemplateSpec], rollout: JSONValue)
        -> Result<AnalysisRunSpec, Problem>
    {
        let args: [AnalysisArgument]
        switch resolveArgs(req, rollout: rollout) {
        case .success(let a): args = a
        case .failure(let p): return .failure(p)
        }
        var spec: AnalysisRunSpec
        do {
            spec = try AnalysisArguments.runSpec(templates: templates, args: args)
        } catch {
            return .failure(Problem(description: error.message))
        }
        if let d = req.analysis.dryRun { spec.dryRun = (spec.dryRun ?? []) + d }
        if let r = req.analysis.measurementRetention { spec.measurementRetention = (spec.measurementRetention ?? []) + r }
        return .success(spec)
    }

    /// The Rollout's args as plain values (secret-backed args stay in the templates).
    static func resolveArgs(_ req: RolloutAnalysisRequest, rollout: JSONValue) -> Result<[AnalysisArgument], Problem> {
        var out: [AnalysisArgument] = []
        for a in req.analysis.args ?? [] {
            if let v = a.value {
                out.append(AnalysisArgument(name: a.name, value: v))
            } else if let which = a.valueFrom?.podTemplateHashValue {
                let hash = which == "Stable" ? (req.stableHash ?? req.latestHash) : req.latestHash
                out.append(AnalysisArgument(name: a.name, value: hash))
            } else if let path = a.valueFrom?.fieldRef?.fieldPath {
                guard let v = field(rollout, path: path) else {
                    return .failure(Problem(description: "argument \"\(a.name)\": field \(path) of the Rollout is not set"))
                }
                out.append(AnalysisArgument(name: a.name, value: v))
            } else {
                return .failure(Problem(description: "argument \"\(a.name)\" has no value"))
            }
        }
        return .success(out)
    }

    /// A field of an object by a fieldRef path: `metadata.name`, `metadata.labels['app']`, `spec.replicas`.
    static func field(_ obj: JSONValue, path: String) -> String? {
        var keys: [String] = []
        var rest = Substring(path)
        while !rest.isEmpty {
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { return nil }
                let key = String(rest[rest.index(after: rest.startIndex)..<close])
                keys.append(key.trimmingCharacters(in: CharacterSet(charactersIn: "'\"")))
                rest = rest[rest.index(after: close)...]
                if rest.hasPrefix(".") { rest = rest.dropFirst() }
                continue
            }
            let end = rest.firstIndex { $0 == "." || $0 == "[" } ?? rest.endIndex
            keys.append(String(rest[..<end]))
            rest = rest[end...]
            if rest.hasPrefix(".") { rest = rest.dropFirst() }
        }
        let v = obj[path: keys]
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return String(b)
        case .null: return nil
        default: return v.serialized()
        }
    }
}

extension RolloutAnalysisRequest {
    /// Annotations for the run from analysisRunMetadata.
    var analysisRunMetadata: [String: String]? { analysis.analysisRunMetadata?.annotations }
}

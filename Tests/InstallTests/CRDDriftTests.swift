import KubeCore
import SerinAPI
import Testing

/// The CRD schemas and the Swift types must describe the same objects: the API server prunes
/// every field its schema does not declare, so a field Serin writes but the schema lacks is
/// silently lost, and a field the schema accepts but Swift does not model is lost on Serin's
/// next write of that object.
enum DriftSubject: String, CaseIterable, Sendable, CustomStringConvertible {
    case canaries, metrictemplates, analysistemplates, clusteranalysistemplates, analysisruns, rollouts, alertproviders, experiments

    var description: String { rawValue }

    /// Drift that is known, with why it stays and what would remove it. Each entry must still
    /// occur (a fixed one must be deleted here), so this list cannot go stale.
    var knownDrift: [String: String] {
        switch self {
        case .canaries:
            // Swift models every reference as CrossNamespaceRef {apiVersion, kind, name, namespace};
            // Flagger's targetRef/autoscalerRef/ingressRef are local references (the target must be
            // in the Canary's namespace) and its alert providerRef is {name, namespace}. The CRD
            // keeps Flagger's shapes; Serin never writes spec, so nothing it writes is pruned.
            // Swift-side fix: a LocalObjectReference for the three refs, {name, namespace} for providerRef.
            let why = "Swift's CrossNamespaceRef is wider than Flagger's reference shape (Swift-side fix)"
            var known: [String: String] = [:]
            for ref in ["targetRef", "autoscalerRef", "ingressRef"] {
                known["spec.\(ref).namespace: the Swift type reads this field but the CRD schema does not declare it (the API server prunes it)"] = why
                known["spec.\(ref).namespace: Swift writes this field but the CRD schema does not declare it (the API server prunes it)"] = why
            }
            for field in ["apiVersion", "kind"] {
                known["spec.analysis.alerts[].providerRef.\(field): the Swift type reads this field but the CRD schema does not declare it (the API server prunes it)"] = why
                known["spec.analysis.alerts[].providerRef.\(field): Swift writes this field but the CRD schema does not declare it (the API server prunes it)"] = why
            }
            return known
        default:
            return [:]
        }
    }

    func problems() throws -> [String] {
        switch self {
        case .canaries: return try CRDDrift.problems(Canary.self, plural: rawValue)
        case .metrictemplates: return try CRDDrift.problems(MetricTemplate.self, plural: rawValue)
        case .analysistemplates, .clusteranalysistemplates: return try CRDDrift.problems(AnalysisTemplate.self, plural: rawValue)
        case .analysisruns: return try CRDDrift.problems(AnalysisRun.self, plural: rawValue)
        case .rollouts: return try CRDDrift.problems(Rollout.self, plural: rawValue)
        case .alertproviders: return try CRDDrift.problems(AlertProvider.self, plural: rawValue)
        case .experiments: return try CRDDrift.problems(Experiment.self, plural: rawValue)
        }
    }
}

enum CRDDrift {
    /// The storage version's schema, with `metadata` free-form: the API server validates
    /// ObjectMeta itself and never prunes it by the CRD's schema.
    static func schema(plural: String) throws -> Schema {
        let crd = try #require(try Repository.crd(plural: plural), "crds/ has no CRD for \(plural)")
        let versions = crd[path: ["spec", "versions"]].arrayValue ?? []
        let storageFound = versions.first { $0["storage"].boolValue == true }
        let storage = try #require(storageFound, "\(plural): no storage version")
        var schema = storage[path: ["schema", "openAPIV3Schema"]]
        schema[path: ["properties", "metadata"]] = ["type": "object", "x-kubernetes-preserve-unknown-fields": true]
        return Schema(schema)
    }

    static func kind(plural: String) throws -> String {
        try #require(try Repository.crd(plural: plural)?[path: ["spec", "names", "kind"]].stringValue)
    }

    /// Every disagreement between the CRD of `plural` and `T`, each naming the field path.
    static func problems<T: Codable>(_ type: T.Type, plural: String) throws -> [String] {
        let schema = try schema(plural: plural)
        var out: [String] = []

        // Swift → schema: a fully populated value (every optional set, whatever fields the
        // type has) must survive pruning, with the declared types and enum values.
        let full = SchemaProbe(mode: .maximal)
        do {
            let value = try full.make(T.self, schema: schema)
            out += full.problems
            out += SchemaCheck.problems(try JSONValue(encoding: value), schema)
        } catch let e as DecodingError {
            out += full.problems + ["the Swift type cannot be populated from the schema: \(e.fieldMessage)"]
        }
        // The least Swift may write must still carry every field the schema requires.
        let least = SchemaProbe(mode: .minimal)
        do {
            let value = try least.make(T.self, schema: schema)
            out += SchemaCheck.missingRequired(try JSONValue(encoding: value), schema)
        } catch let e as DecodingError {
            out.append("a value with only Swift's required fields cannot be made: \(e.fieldMessage)")
        }

        // Schema → Swift: a document with every declared property (each enum value in turn)
        // must decode and encode again without losing or changing a field.
        for variant in 0..<SchemaDocument.variants(schema) {
            let doc = SchemaDocument.make(schema, maximal: true, variant: variant)
            let back: JSONValue
            do {
                back = try JSONValue(encoding: try doc.decode(as: T.self))
            } catch let e as DecodingError {
                out.append("a document the CRD accepts does not decode: \(e.fieldMessage)")
                continue
            }
            for (path, value) in SchemaCheck.leaves(doc) {
                guard let again = lookup(back, path) else {
                    out.append("\(dotted(path)): declared by the CRD schema, but the Swift type drops it (decode and encode lose it)")
                    continue
                }
                if again != value {
                    out.append("\(dotted(path)): the CRD document has \(value.serialized()), the Swift type gives back \(again.serialized())")
                }
            }
        }
        // The least documents the API server accepts must decode too: only the required
        // fields, and every nested object with only its required fields (the server always
        // sets apiVersion, kind and metadata).
        for shape in [SchemaDocument.Shape.minimal, .skeleton] {
            var least = SchemaDocument.make(schema, shape: shape)
            least["apiVersion"] = "serin.dev/v1alpha1"
            least["kind"] = .string(try kind(plural: plural))
            least["metadata"] = ["name": "x", "namespace": "x"]
            do {
                _ = try least.decode(as: T.self)
            } catch let e as DecodingError {
                out.append("a document with only the fields the CRD requires does not decode (Swift requires more than the schema): \(e.fieldMessage)")
            }
        }
        var seen: Set<String> = []
        return out.filter { seen.insert($0).inserted }
    }

    /// The value at `path` (`[]` is the first array item).
    static func lookup(_ v: JSONValue, _ path: [String]) -> JSONValue? {
        var cur = v
        for p in path {
            if p == "[]" {
                guard let first = cur.arrayValue?.first else { return nil }
                cur = first
            } else {
                guard let next = cur.objectValue?[p] else { return nil }
                cur = next
            }
        }
        return cur
    }
}

@Suite("CRDs and Swift types do not drift apart")
struct CRDDriftTests {
    @Test("every field the Swift type reads or writes is in the CRD schema, and the reverse", arguments: DriftSubject.allCases)
    func noDrift(_ subject: DriftSubject) throws {
        let all = try subject.problems()
        let problems = all.filter { subject.knownDrift[$0] == nil }
        #expect(problems.isEmpty, "crds/\(subject.rawValue).yaml ⇄ Swift:\n  \(problems.joined(separator: "\n  "))")
        let fixed = subject.knownDrift.keys.filter { !all.contains($0) }.sorted()
        #expect(fixed.isEmpty, "known drift no longer occurs; remove it from DriftSubject.knownDrift:\n  \(fixed.joined(separator: "\n  "))")
    }

    /// The probe itself: it must see a field the schema lacks, or the drift test proves nothing.
    @Test("the drift check notices a field missing from the schema and a Swift-only field")
    func probeNotices() throws {
        var schema = try CRDDrift.schema(plural: "metrictemplates").node
        schema[path: ["properties", "spec", "properties", "provider", "properties", "insecureSkipVerify"]] = .null
        schema[path: ["properties", "spec", "properties", "provider", "properties"]] =
            .object((schema[path: ["properties", "spec", "properties", "provider", "properties"]].objectValue ?? [:])
                .filter { $0.value != .null })
        let probe = SchemaProbe(mode: .maximal)
        let value = try probe.make(MetricTemplate.self, schema: Schema(schema))
        let written = SchemaCheck.problems(try JSONValue(encoding: value), Schema(schema))
        let readNoticed = probe.problems.contains { $0.hasPrefix("spec.provider.insecureSkipVerify:") }
        let writeNoticed = written.contains { $0.hasPrefix("spec.provider.insecureSkipVerify:") }
        #expect(readNoticed, "\(probe.problems)")
        #expect(writeNoticed, "\(written)")
        #expect(probe.read.contains("spec.provider.secretRef.name"))

        var extra = try CRDDrift.schema(plural: "metrictemplates").node
        extra[path: ["properties", "spec", "properties", "provider", "properties", "notModelled"]] = ["type": "string"]
        let doc = SchemaDocument.make(Schema(extra), maximal: true)
        let back = try JSONValue(encoding: try doc.decode(as: MetricTemplate.self))
        #expect(doc[path: ["spec", "provider", "notModelled"]] == "x")
        #expect(CRDDrift.lookup(back, ["spec", "provider", "notModelled"]) == nil)
    }
}

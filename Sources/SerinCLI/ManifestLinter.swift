import Analysis
import Foundation
import KubeCore
import SerinAPI

/// `serin lint`: offline checks of Serin manifests with the API server's verdict (the CRD
/// schemas of crds/: unknown fields as strict field validation refuses them, schema errors)
/// and the operator's own validation (CanarySpec.validate, AnalysisValidation, the
/// condition-expression parser), so a manifest that lints clean is one the server and the
/// operator accept.
struct ManifestLinter {
    /// The operator's `--provider` for Canaries that name none.
    var defaultProvider = "istio"

    struct Document {
        var file: String
        var index: Int
        var json: JSONValue
        var kind: String { json["kind"].stringValue ?? "" }
        var name: String { json["metadata"]["name"].stringValue ?? json["metadata"]["generateName"].stringValue ?? "" }
        var namespace: String? { json["metadata"]["namespace"].stringValue }
        var subject: String {
            let k = kind.isEmpty ? "document" : kind
            guard !name.isEmpty else { return k }
            return namespace.map { "\(k) \($0)/\(name)" } ?? "\(k) \(name)"
        }
    }

    static let apiVersion = "serin.dev/v1alpha1"
    static let kinds: Set<String> = ["Canary", "MetricTemplate", "AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun", "Rollout",
                                     "AlertProvider", "Experiment"]
    /// Kinds of the originals Serin does not serve (yet): refused by name, not as a typo.
    static let unsupportedKinds: [String: String] = [:]
    /// The originals' groups: their manifests work here with only apiVersion changed.
    static let foreignGroups = ["flagger.app": "Flagger", "argoproj.io": "Argo Rollouts"]

    func lint(_ sources: [(file: String, text: String)]) -> LintReport {
        var report = LintReport()
        report.files = sources.count
        var documents: [Document] = []
        for source in sources {
            let parsed = ManifestDocuments(source.text)
            for (i, v) in parsed.documents.enumerated() where !v.isNull {
                documents.append(Document(file: source.file, index: i + 1, json: v))
            }
            if let error = parsed.error {
                let after = parsed.documents.isEmpty ? "" : " (after document \(parsed.documents.count))"
                report.findings.append(LintFinding(file: source.file, document: 0, subject: "", path: "",
                                                   message: "not valid YAML\(after): \(error)",
                                                   fix: "fix the YAML syntax at the line and column shown"))
            }
        }
        // MetricTemplates in the same run let Canary metrics that refer to them be checked fully.
        let templates = documents.filter { $0.kind == "MetricTemplate" }.compactMap { d -> (String, MetricTemplate)? in
            guard let t = try? d.json.decode(as: MetricTemplate.self) else { return nil }
            return ("\(d.namespace ?? "")/\(d.name)", t)
        }
        let templateIndex = Dictionary(templates, uniquingKeysWith: { a, _ in a })
        let analysisTemplates = Set(documents.compactMap { d -> String? in
            switch d.kind {
            case "AnalysisTemplate": return d.name
            case "ClusterAnalysisTemplate": return "cluster/\(d.name)"
            default: return nil
            }
        })

        for doc in documents {
            report.documents += 1
            var check = DocumentCheck(doc: doc)
            guard doc.json.objectValue != nil else {
                check.add("", "is not a mapping", "write a Kubernetes object (apiVersion, kind, metadata, spec)")
                report.findings += check.findings
                continue
            }
            let apiVersion = doc.json["apiVersion"].stringValue ?? ""
            var group = apiVersion.split(separator: "/").first.map(String.init) ?? ""
            if apiVersion.isEmpty, Self.kinds.contains(doc.kind) {
                check.add("apiVersion", "is missing", "add apiVersion: \(Self.apiVersion)")
                group = "serin.dev"
            }
            if Self.unsupportedKinds[doc.kind] != nil, group == "serin.dev" || Self.foreignGroups[group] != nil {
                check.add("kind", "\(doc.kind) is not supported: Serin does not support the \(doc.kind) kind yet",
                          "run it with \(Self.unsupportedKinds[doc.kind]!), or express it with the kinds Serin serves: "
                            + "\(Self.kinds.sorted().joined(separator: ", "))")
                report.findings += check.findings
                continue
            }
            guard Self.kinds.contains(doc.kind), group == "serin.dev" || Self.foreignGroups[group] != nil else {
                if group == "serin.dev" {
                    check.add("kind", "\"\(doc.kind)\" is not a kind lint knows",
                              "check the spelling; lint checks \(Self.kinds.sorted().joined(separator: ", "))", severity: .warning)
                    report.findings += check.findings
                } else {
                    report.skipped += 1
                }
                continue
            }
            if !apiVersion.isEmpty, apiVersion != Self.apiVersion {
                if let origin = Self.foreignGroups[group] {
                    check.add("apiVersion", "\(apiVersion) is the \(origin) API", "change apiVersion to \(Self.apiVersion); the fields stay the same")
                } else {
                    check.add("apiVersion", "\(apiVersion) is not served", "use apiVersion: \(Self.apiVersion)")
                }
            }
            if doc.json["metadata"]["name"].stringValue?.isEmpty != false, doc.json["metadata"]["generateName"].stringValue == nil {
                check.add("metadata.name", "is missing", "name the object (metadata.name)")
            } else if let name = doc.json["metadata"]["name"].stringValue {
                // The server's check of every object's name.
                for why in KubeNames.dns1123SubdomainErrors(name) {
                    check.add("metadata.name", "Invalid value: \"\(name)\": \(why)", "use lower-case letters, digits, '-' and '.' (e.g. \(name.lowercased()))")
                }
            }
            // Labels as the server checks them: qualified keys, short plain values.
            for (key, value) in (doc.json["metadata"]["labels"].objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                for why in KubeNames.qualifiedNameErrors(key) {
                    check.add("metadata.labels", "Invalid value: \"\(key)\": \(why)", "write the key as [prefix/]name, e.g. app.kubernetes.io/name")
                }
                let text = value.stringValue ?? value.serialized()
                for why in KubeNames.labelValueErrors(text) {
                    check.add("metadata.labels", "Invalid value: \"\(text)\": \(why)", "use at most 63 letters, digits, '-', '_' and '.'")
                }
            }
            // The API server's verdict first (unknown fields, schema errors); the operator's own
            // checks then add what the schema cannot say, without repeating a field already named.
            let verdictStart = check.findings.count
            if let served = ServedSchema.byKind[doc.kind] { check.serverVerdict(served) }
            let before = check.findings.count
            switch doc.kind {
            case "AlertProvider": check.alertProvider()
            case "Canary": check.canary(defaultProvider: defaultProvider, templates: templateIndex)
            case "MetricTemplate": check.metricTemplate()
            case "AnalysisTemplate", "ClusterAnalysisTemplate":
                if doc.kind == "ClusterAnalysisTemplate", doc.namespace != nil {
                    check.add("metadata.namespace", "is set on a cluster-scoped kind", "remove metadata.namespace", severity: .warning)
                }
                check.analysis(run: false)
            case "AnalysisRun": check.analysis(run: true)
            case "Rollout": check.rollout(templates: analysisTemplates)
            case "Experiment": check.experiment(templates: analysisTemplates)
            default: break
            }
            check.mergeVerdict(verdict: verdictStart..<before)
            if check.findings.isEmpty {
                report.clean.append("\(doc.file): document \(doc.index), \(doc.subject): ok")
            }
            report.findings += check.findings
        }
        return report
    }
}

/// The findings for one document.
struct DocumentCheck {
    let doc: ManifestLinter.Document
    var findings: [LintFinding] = []

    init(doc: ManifestLinter.Document) { self.doc = doc }

    mutating func add(_ path: String, _ message: String, _ fix: String?, severity: LintFinding.Severity = .error,
                      excerpt: [String] = []) {
        findings.append(LintFinding(severity: severity, file: doc.file, document: doc.index, subject: doc.subject,
                                    path: path, message: message, fix: fix, excerpt: excerpt))
    }
}

import Analysis
import KubeCore
import SerinAPI

extension DocumentCheck {
    /// The operator's CanarySpec.validate, then each metric through AnalysisValidation (queries,
    /// templates found in the same lint run, percentile, judge settings).
    mutating func canary(defaultProvider: String, templates: [String: MetricTemplate]) {
        let canary: Canary
        do {
            canary = try Canary(json: doc.json)
        } catch {
            let path = error.path.isEmpty ? "spec" : error.path
            add(path, error.message, "give \(path) the type the Canary schema expects (kubectl explain canary.\(path))")
            return
        }
        let problems = canary.spec.validate(defaultProvider: defaultProvider)
        for p in problems { add(p.path, p.message, p.fix) }
        let family = CanaryProviders.family(canary.spec.effectiveProvider(default: defaultProvider))
        if canary.spec.service.delegation == true, family != CanaryProviders.istio {
            // As Flagger: only the istio router writes a delegate; the others ignore the field.
            add("spec.service.delegation", "only changes the VirtualService of the istio provider; provider \(family) ignores it",
                "set provider: istio (or the operator's --provider istio), or remove delegation", severity: .warning)
        }
        if canary.spec.service.delegation == true, !(canary.spec.service.hosts ?? []).isEmpty || !(canary.spec.service.gateways ?? []).isEmpty {
            add("spec.service.delegation", "a delegate VirtualService has no hosts or gateways: service.hosts and service.gateways are not written",
                "set the hosts and gateways on your root VirtualService, which delegates to this one", severity: .warning)
        }
        let provider = MeshProvider(flaggerName: canary.spec.effectiveProvider(default: defaultProvider)) ?? .kubernetes
        for (i, metric) in (canary.spec.analysis?.metrics ?? []).enumerated() {
            let path = "spec.analysis.metrics[\(i)]"
            // One message per field: the spec check already explained this metric.
            if problems.contains(where: { $0.path.hasPrefix(path) }) { continue }
            let template = metric.templateRef.flatMap { ref in templates["\(ref.namespace ?? doc.namespace ?? "")/\(ref.name)"] }
            for text in AnalysisValidation.validate(metric, provider: provider, template: template) {
                let message = Self.unsupportedVariable(Self.dropMetricPrefix(text, name: metric.name))
                add(path, message, Self.metricFix(message))
            }
        }
    }

    /// Flagger's template variables Serin does not render, and Go template functions
    /// (`{{ printf "…" namespace }}`), named as unsupported rather than as typos.
    static func unsupportedVariable(_ message: String) -> String {
        let prefix = "unknown template variable \""
        guard message.hasPrefix(prefix), let close = message.dropFirst(prefix.count).firstIndex(of: "\"") else {
            // A Go template call holds quotes: the name runs to the last quote before " at position".
            return message
        }
        var name = String(message[message.index(message.startIndex, offsetBy: prefix.count)..<close])
        if let at = message.range(of: "\" at position ", options: .backwards) {
            name = String(message[message.index(message.startIndex, offsetBy: prefix.count)..<at.lowerBound])
        }
        let words = name.split(separator: " ")
        if words.count > 1, let function = words.first {
            return "Go template functions such as \(function) are not supported by Serin: {{ \(name) }}"
        }
        if ["ingress", "route"].contains(name) {
            return "template variable \(name) (Flagger's) is not supported by Serin"
        }
        return message
    }

    static func dropMetricPrefix(_ text: String, name: String) -> String {
        let prefix = "metric \"\(name)\": "
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
    }

    static func metricFix(_ message: String) -> String {
        if message.contains("percentile") { return "set percentile between 0 and 1, e.g. 0.95" }
        if message.contains("confidence") { return "set confidence between 0 and 1, e.g. 0.95" }
        if message.contains("allowedIncrease") { return "set allowedIncrease to 0 or more (0.1 allows 10%)" }
        if message.contains("duration") { return "write the metric's interval as a duration such as 1m" }
        if message.contains("needs provider.address") { return "set the MetricTemplate's spec.provider.address" }
        if message.contains("keptn query") { return "write the query as keptnmetric/<namespace>/<name> or analysis/<namespace>/<definition>/<duration>/<key>=<value>" }
        if message.contains("externalmetrics query") { return "write the query as <namespace>/<metricName>?labelSelector=<url-encoded selector>" }
        if message.contains("provider type") {
            return "use a MetricTemplate with provider.type: " + MetricProviders.names.joined(separator: " or ")
        }
        if message.contains("not supported by Serin") {
            return "use {{ name }}, {{ namespace }}, {{ target }}, {{ service }}, {{ interval }} or {{ variables.X }}"
        }
        if message.contains("template variable") || message.contains("argument") {
            return "use {{ name }}, {{ namespace }}, {{ target }}, {{ service }}, {{ ingress }}, {{ route }}, {{ interval }} or {{ variables.X }} with X in templateVariables"
        }
        return "check the metric's query, templateRef and templateVariables"
    }

    /// The provider and the query's variables, through the same rendering the operator uses.
    mutating func metricTemplate() {
        // The provider first: a template of another provider is refused for it even when the
        // rest does not decode (a snippet without a query).
        let types = MetricProviders.names.joined(separator: ", ")
        if let type = doc.json["spec"]["provider"]["type"].stringValue, MetricProviders.type(named: type) == nil {
            add("spec.provider.type", "provider type \"\(type)\" is not supported by Serin (\(types))",
                "set spec.provider.type to one of the providers Serin runs: \(types)")
        }
        let template: MetricTemplate
        do {
            template = try doc.json.decode(as: MetricTemplate.self)
        } catch {
            let text = (error as? DecodingError)?.fieldMessage ?? "\(error)"
            let (path, message) = Self.splitFieldMessage(text)
            add(path, message, "give \(path) the type the MetricTemplate schema expects (kubectl explain metrictemplate.\(path))")
            return
        }
        if let a = template.spec.provider.address, !(a.hasPrefix("http://") || a.hasPrefix("https://")) {
            add("spec.provider.address", "\"\(a)\" is not an http(s) URL", "write the Prometheus base URL, e.g. http://prometheus.monitoring:9090")
        }
        if template.spec.query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            add("spec.query", "is empty", "write the PromQL query, e.g. sum(rate(http_requests_total{namespace=\"{{ namespace }}\"}[{{ interval }}]))")
            return
        }
        // `{{ variables.X }}` come from the Canary that uses the template: treat every one as set.
        var values = ["name": "n", "namespace": "ns", "target": "t", "service": "s", "interval": "1m", "ingress": "i", "route": "r"]
        var variables: [String: String] = [:]
        for _ in 0..<100 {
            do {
                _ = try QueryTemplate.render(template.spec.query, values: values)
                break
            } catch {
                guard error.name.hasPrefix("variables.") else { break }
                values[error.name] = "v"
                variables[String(error.name.dropFirst("variables.".count))] = "v"
            }
        }
        let name = doc.name.isEmpty ? "template" : doc.name
        let probe = CanaryMetric(name: name, templateRef: TemplateRef(name: name), templateVariables: variables)
        for text in AnalysisValidation.validate(probe, template: template) {
            let message = Self.unsupportedVariable(Self.dropMetricPrefix(text, name: name))
            if message.contains("needs provider.address") {
                // Valid to apply (Flagger accepts it too), but a Canary using it cannot run it.
                add("spec.provider.address", message, Self.metricFix(message), severity: .warning)
            } else if message.contains("provider type") {
                if !findings.contains(where: { $0.path == "spec.provider.type" }) {
                    add("spec.provider.type", message, "set spec.provider.type to one of the providers Serin runs: \(types)")
                }
            } else {
                add("spec.query", message, Self.metricFix(message))
            }
        }
    }

    /// `spec.x.y: expected Int` → (`spec.x.y`, `expected Int`).
    static func splitFieldMessage(_ text: String) -> (String, String) {
        guard let colon = text.range(of: ": ") else { return ("spec", text) }
        let path = String(text[..<colon.lowerBound])
        return (path.isEmpty ? "spec" : path, String(text[colon.upperBound...]))
    }
}

import Analysis
import KubeCore
import SerinAPI

extension DocumentCheck {
    /// AnalysisTemplate / ClusterAnalysisTemplate (AnalysisValidation) and AnalysisRun
    /// (AnalysisRunEvaluator.validate); condition parse errors are shown with a caret.
    mutating func analysis(run: Bool) {
        let metrics: [AnalysisMetric]
        let problems: [String]
        do {
            if run {
                let spec = try doc.json["spec"].decode(as: AnalysisRunSpec.self)
                metrics = spec.metrics
                problems = AnalysisRunEvaluator.validate(spec)
            } else {
                let spec = try doc.json["spec"].decode(as: AnalysisTemplateSpec.self)
                metrics = spec.metrics
                problems = AnalysisValidation.validate(spec)
            }
        } catch {
            let text = (error as? DecodingError)?.fieldMessage ?? "\(error)"
            let (path, message) = Self.splitFieldMessage(text)
            let full = path == "spec" ? "spec" : "spec.\(path)"
            let kind = doc.kind.lowercased()
            add(full, message, "give \(full) the type the \(doc.kind) schema expects (kubectl explain \(kind).\(full))")
            return
        }
        for text in problems {
            let p = AnalysisProblem(text)
            let index = p.metric.flatMap { name in metrics.firstIndex { $0.name == name } }
            let base = index.map { "spec.metrics[\($0)]" } ?? "spec.metrics"
            var excerpt: [String] = []
            let (path, fix): (String, String?)
            switch p.field {
            case let f? where f == "successCondition" || f == "failureCondition":
                path = "\(base).\(f)"
                fix = "write a condition over result, e.g. result[0] >= 0.95"
                let source = index.flatMap { f == "successCondition" ? metrics[$0].successCondition : metrics[$0].failureCondition }
                if let source { excerpt = Self.caret(source) }
            case let f? where f == "interval" || f == "initialDelay":
                path = "\(base).\(f)"
                fix = "write a duration such as 60s or 5m"
            case let f?:
                path = "\(base).\(f)"
                fix = nil
            case nil:
                if p.message.hasPrefix("uses {{args.") {
                    path = "spec.args"
                    fix = "declare the argument under spec.args (- name: ...) or correct its spelling in the metric"
                } else if p.message.contains("needs an interval") {
                    path = "\(base).interval"
                    fix = "set interval, the time between measurements, e.g. 60s"
                } else if p.message.contains("no provider") {
                    path = "\(base).provider"
                    fix = "add provider.prometheus with address and query"
                } else if p.message.contains("defined twice") {
                    path = "\(base).name"
                    fix = "give each metric a unique name"
                } else if p.message == "no metrics" {
                    path = "spec.metrics"
                    fix = "list at least one metric"
                } else {
                    path = base
                    fix = nil
                }
            }
            var message = p.metric.map { "metric \"\($0)\": \(p.message)" } ?? p.message
            var fix2 = fix
            // The providers Serin lacks are dropped when decoding: name the one written.
            if p.message.contains("no provider"), findings.contains(where: { $0.path.hasPrefix("\(base).provider.") }) {
                continue  // the unknown provider field already names the provider as unsupported
            }
            if p.message.contains("no provider"), let i = index {
                let written = (doc.json["spec"]["metrics"][i]["provider"].objectValue ?? [:]).keys.sorted()
                if !written.isEmpty {
                    message = "metric \"\(metrics[i].name)\": provider \(written.joined(separator: ", ")) is not supported by Serin"
                    fix2 = "measure with provider.prometheus (a query) or provider.compare (canary against baseline)"
                }
            }
            if let u = Self.unknownName(p.message) {
                fix2 = u.suggestion.map { "did you mean \($0)?" } ?? "use result and the functions a condition knows"
                if let source = index.flatMap({ p.field == "successCondition" ? metrics[$0].successCondition : metrics[$0].failureCondition }) {
                    excerpt = Self.caret(source, at: u.position)
                }
                message = p.metric.map { "metric \"\($0)\": \(u.text)" } ?? u.text
            }
            add(path, message, fix2, excerpt: excerpt)
        }
    }

    /// `unknown name "resutl" at position 1; did you mean result?` → its parts.
    static func unknownName(_ message: String) -> (text: String, position: Int, suggestion: String?)? {
        guard message.hasPrefix("unknown name \"") || message.hasPrefix("unknown function \""),
              let at = message.range(of: " at position ") else { return nil }
        let digits = message[at.upperBound...].prefix { $0.isNumber }
        guard let position = Int(digits) else { return nil }
        let text = String(message[..<at.lowerBound])
        var suggestion: String?
        if let mean = message.range(of: "; did you mean ") {
            suggestion = String(message[mean.upperBound...].dropLast(message.hasSuffix("?") ? 1 : 0))
        }
        return (text, position, suggestion)
    }

    /// The expression with a `^` under the parse error's position (1-based, as the parser reports).
    static func caret(_ source: String) -> [String] {
        do {
            _ = try ConditionExpression(source)
            return []
        } catch {
            return caret(source, at: error.position)
        }
    }

    /// The line of `source` holding the 1-based `position`, with a `^` under it.
    static func caret(_ source: String, at position: Int) -> [String] {
        let chars = Array(source)
        var offset = min(max(position - 1, 0), chars.count)
        var lineStart = 0
        for (i, c) in chars.enumerated() where i < offset && c == "\n" { lineStart = i + 1 }
        let lineEnd = chars[lineStart...].firstIndex(of: "\n") ?? chars.count
        offset -= lineStart
        let line = String(chars[lineStart..<lineEnd])
        return [line, String(repeating: " ", count: offset) + "^"]
    }
}

/// A problem text from AnalysisValidation / AnalysisRunEvaluator split into the metric it
/// names, the field (when it names one) and the rest: `metric "x" successCondition: …`,
/// `metric "x": …`, `metric "x" uses …`, `no metrics`.
struct AnalysisProblem {
    var metric: String?
    var field: String?
    var message: String

    init(_ text: String) {
        let prefix = "metric \""
        guard text.hasPrefix(prefix), let close = text.dropFirst(prefix.count).firstIndex(of: "\"") else {
            message = text
            return
        }
        metric = String(text[text.index(text.startIndex, offsetBy: prefix.count)..<close])
        let rest = text[text.index(after: close)...]
        if rest.hasPrefix(": ") {
            message = String(rest.dropFirst(2))
            return
        }
        let body = rest.drop { $0 == " " }
        if let colon = body.range(of: ": "), !body[..<colon.lowerBound].contains(" "), !body[..<colon.lowerBound].isEmpty {
            field = String(body[..<colon.lowerBound])
            message = String(body[colon.upperBound...])
        } else {
            message = String(body)
        }
    }
}

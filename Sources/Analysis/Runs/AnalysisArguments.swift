import Foundation
import KubeCore
import SerinAPI

/// Argument handling for analysis runs: merging a template's declared args with the values a
/// Rollout supplies, resolving them, and substituting `{{args.NAME}}` everywhere in a metric.
public enum AnalysisArguments {
    public struct ArgumentError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// The template's args with supplied values overriding them (by name); supplied args the
    /// templates do not declare are an error, as in Argo.
    public static func merge(declared: [AnalysisArgument], supplied: [AnalysisArgument]) throws(ArgumentError) -> [AnalysisArgument] {
        var out = declared
        for s in supplied {
            guard let i = out.firstIndex(where: { $0.name == s.name }) else {
                throw ArgumentError("argument \"\(s.name)\" is not declared by the template")
            }
            if s.value != nil || s.valueFrom != nil { out[i] = s }
        }
        return out
    }

    /// Values by name. `secret` resolves `valueFrom.secretKeyRef` (the controller reads the Secret).
    /// An arg with no value is an error naming it.
    public static func resolve(_ args: [AnalysisArgument],
                               secret: (AnalysisSecretKeyRef) -> String? = { _ in nil }) throws(ArgumentError) -> [String: String] {
        var out: [String: String] = [:]
        for a in args {
            if let v = a.value {
                out[a.name] = v
            } else if let ref = a.valueFrom?.secretKeyRef {
                guard let v = secret(ref) else {
                    throw ArgumentError("argument \"\(a.name)\": key \"\(ref.key)\" of Secret \"\(ref.name)\" not found")
                }
                out[a.name] = v
            } else if a.valueFrom?.fieldRef != nil {
                throw ArgumentError("argument \"\(a.name)\": valueFrom.fieldRef must be resolved by the caller")
            } else {
                throw ArgumentError("argument \"\(a.name)\" has no value")
            }
        }
        return out
    }

    /// Replaces `{{args.NAME}}` (spaces optional) in `text`; other braces are left alone.
    public static func substitute(_ text: String, args: [String: String]) throws(ArgumentError) -> String {
        var out = ""
        var rest = Substring(text)
        var offset = 0
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            var key = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if key.hasPrefix(".") { key.removeFirst() }
            out += rest[..<open.lowerBound]
            if key.hasPrefix("args.") {
                let name = String(key.dropFirst(5))
                guard let v = args[name] else {
                    let pos = offset + rest.distance(from: rest.startIndex, to: open.lowerBound) + 1
                    throw ArgumentError("missing argument \"\(name)\" for {{args.\(name)}} at position \(pos)")
                }
                out += v
            } else {
                out += rest[open.lowerBound..<close.upperBound]
            }
            offset += rest.distance(from: rest.startIndex, to: close.upperBound)
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// The metric with `{{args.NAME}}` substituted in every string field.
    public static func substitute(_ metric: AnalysisMetric, args: [String: String]) throws(ArgumentError) -> AnalysisMetric {
        let json: JSONValue
        do { json = try JSONValue(encoding: metric) } catch { throw ArgumentError("cannot encode metric \(metric.name)") }
        let replaced: JSONValue
        do {
            replaced = try walk(json, args: args)
        } catch {
            throw ArgumentError("metric \"\(metric.name)\": \(error.message)")
        }
        do { return try replaced.decode(as: AnalysisMetric.self) } catch {
            throw ArgumentError("metric \"\(metric.name)\" after substitution: \((error as? DecodingError)?.fieldMessage ?? "\(error)")")
        }
    }

    static func walk(_ v: JSONValue, args: [String: String]) throws(ArgumentError) -> JSONValue {
        switch v {
        case .string(let s): return .string(try substitute(s, args: args))
        case .array(let a):
            var out: [JSONValue] = []
            for x in a { out.append(try walk(x, args: args)) }
            return .array(out)
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for (k, x) in o { out[k] = try walk(x, args: args) }
            return .object(out)
        default: return v
        }
    }

    /// A run spec from templates (metrics concatenated; duplicate names are an error) and the
    /// supplied args. Args stay unresolved in the spec (secret values never land in it).
    public static func runSpec(templates: [AnalysisTemplateSpec], args supplied: [AnalysisArgument]) throws(ArgumentError) -> AnalysisRunSpec {
        var declared: [AnalysisArgument] = []
        var metrics: [AnalysisMetric] = []
        var dryRun: [AnalysisDryRun] = []
        var retention: [AnalysisMeasurementRetention] = []
        for t in templates {
            for a in t.args ?? [] {
                if let i = declared.firstIndex(where: { $0.name == a.name }) {
                    if declared[i].value == nil && declared[i].valueFrom == nil { declared[i] = a }
                } else {
                    declared.append(a)
                }
            }
            for m in t.metrics {
                guard !metrics.contains(where: { $0.name == m.name }) else {
                    throw ArgumentError("metric \"\(m.name)\" is defined by more than one template")
                }
                metrics.append(m)
            }
            dryRun += t.dryRun ?? []
            retention += t.measurementRetention ?? []
        }
        let merged = try merge(declared: declared, supplied: supplied)
        for a in merged where a.value == nil && a.valueFrom == nil {
            throw ArgumentError("argument \"\(a.name)\" has no value: supply it in the analysis args")
        }
        return AnalysisRunSpec(metrics: metrics, args: merged, dryRun: dryRun.isEmpty ? nil : dryRun,
                               measurementRetention: retention.isEmpty ? nil : retention)
    }
}

import Foundation

/// A user's message line for an AlertProvider (`spec.template`): text with placeholders such as
/// `{{ .Name }}`, in the spelling of Go templates that Flagger and Argo users know. Only the
/// names in `names` exist; there are no pipelines, conditions or functions.
public struct AlertTemplate: Sendable, Hashable {
    enum Part: Sendable, Hashable {
        case text(String)
        case value(String)
    }

    /// The placeholders a template may use, each what it stands for.
    public static let names: [String: String] = [
        "Kind": "Canary or Rollout",
        "Name": "the release's name",
        "Namespace": "its namespace",
        "Subject": "name.namespace",
        "Reason": "the event reason (Failed, Succeeded …)",
        "Message": "Serin's text of the event",
        "Severity": "info, warn or error",
        "Phase": "the release's phase",
        "Target": "the workload (Deployment/name.namespace)",
        "Weight": "the canary's traffic weight",
        "FailedChecks": "failed checks against the threshold (2/5)",
        "Timestamp": "when it happened (RFC 3339)",
    ]

    let parts: [Part]

    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public init(parsing source: String) throws(ParseError) {
        var parts: [Part] = []
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw ParseError(message: "a {{ is never closed by }}")
            }
            let inner = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard inner.hasPrefix("."), Self.names[String(inner.dropFirst())] != nil else {
                let known = Self.names.keys.sorted().map { "{{ .\($0) }}" }.joined(separator: ", ")
                throw ParseError(message: "{{ \(inner) }} is not a placeholder; use \(known)")
            }
            parts.append(.value(String(inner.dropFirst())))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
    }

    /// The text with each placeholder replaced by `values[name]` (empty when absent).
    public func render(_ values: [String: String]) -> String {
        parts.map { part in
            switch part {
            case .text(let t): return t
            case .value(let name): return values[name] ?? ""
            }
        }.joined()
    }
}

import Foundation

/// Go-template-like variables in queries: `{{ name }}`, `{{ namespace }}`, `{{ target }}`,
/// `{{ service }}`, `{{ interval }}`, `{{ variables.X }}` (Flagger) and `{{args.NAME}}` (Argo).
/// Anything else between braces is an error that names it.
public enum QueryTemplate {
    public struct MissingVariable: Error, Sendable, Hashable, CustomStringConvertible {
        public var name: String
        /// 1-based character position of the `{{`.
        public var position: Int
        public var description: String {
            if name.hasPrefix("args.") {
                return "missing argument \"\(name.dropFirst(5))\" for {{\(name)}} at position \(position)"
            }
            return "unknown template variable \"\(name)\" at position \(position)"
        }
    }

    /// Replaces every `{{ key }}` (spaces optional, leading `.` accepted) by `values[key]`.
    public static func render(_ text: String, values: [String: String]) throws(MissingVariable) -> String {
        var out = ""
        var rest = Substring(text)
        var consumed = 0
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            out += rest[..<open.lowerBound]
            var key = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if key.hasPrefix(".") { key.removeFirst() }
            guard let value = values[key] else {
                let pos = consumed + rest.distance(from: rest.startIndex, to: open.lowerBound) + 1
                throw MissingVariable(name: key, position: pos)
            }
            out += value
            consumed += rest.distance(from: rest.startIndex, to: close.upperBound)
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// The argument names a text refers to (`{{args.X}}`), in order of appearance.
    public static func argumentNames(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            var key = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if key.hasPrefix(".") { key.removeFirst() }
            if key.hasPrefix("args."), !names.contains(String(key.dropFirst(5))) { names.append(String(key.dropFirst(5))) }
            rest = rest[close.upperBound...]
        }
        return names
    }
}

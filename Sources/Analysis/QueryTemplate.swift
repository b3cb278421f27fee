import Foundation

/// Flagger's query templates: Go `text/template` actions over functions of no arguments —
/// `{{ name }}`, `{{ namespace }}`, `{{ target }}`, `{{ service }}`, `{{ ingress }}`,
/// `{{ route }}`, `{{ interval }}`, `{{ variables.X }}` — and Go's builtins (`printf`,
/// `print`, `len`, `index`, `eq`…, `and`, `or`, `not`, `urlquery`), pipelines (`target |
/// printf "%s-primary"`), parentheses, `{{-`/`-}}` trimming and comments. Argo's
/// `{{args.NAME}}` is looked up the same way. A name the values lack is an error naming it
/// (Go would print `<no value>` and send a query that matches nothing); control actions
/// (`if`, `range`, `with`) are refused by name.
public enum QueryTemplate {
    public struct MissingVariable: Error, Sendable, Hashable, CustomStringConvertible {
        public var name: String
        /// 1-based character position of the `{{`.
        public var position: Int
        /// Set when the action is wrong for another reason than an unknown name.
        public var problem: String?

        public init(name: String, position: Int, problem: String? = nil) {
            self.name = name
            self.position = position
            self.problem = problem
        }

        public var description: String {
            if let problem { return "\(problem) in the action at position \(position)" }
            if name.hasPrefix("args.") {
                return "missing argument \"\(name.dropFirst(5))\" for {{\(name)}} at position \(position)"
            }
            return "unknown template variable \"\(name)\" at position \(position)"
        }
    }

    /// Renders every action of `text`; `values` holds the model (`variables.X` keys for the
    /// variables map).
    public static func render(_ text: String, values: [String: String]) throws(MissingVariable) -> String {
        let chars = Array(text)
        var out = ""
        var i = 0
        var trimNext = false
        while i < chars.count {
            guard let open = find(chars, "{{", from: i) else {
                out += trimmed(String(chars[i...]), leading: trimNext)
                break
            }
            guard let close = find(chars, "}}", from: open + 2) else {
                out += trimmed(String(chars[i...]), leading: trimNext)  // an unclosed {{ is text, as before
                break
            }
            var inner = String(chars[(open + 2)..<close])
            var segment = String(chars[i..<open])
            if inner.hasPrefix("- ") || inner == "-" { inner.removeFirst(); segment = trimmedTrailing(segment) }
            out += trimmed(segment, leading: trimNext)
            trimNext = false
            if inner.hasSuffix(" -") { inner.removeLast(); trimNext = true }
            let action = GoTemplateAction(source: inner, position: open + 1, values: values)
            out += try action.render()
            i = close + 2
        }
        return out
    }

    static func find(_ chars: [Character], _ pattern: String, from: Int) -> Int? {
        let p = Array(pattern)
        var i = from
        while i + p.count <= chars.count {
            if Array(chars[i..<(i + p.count)]) == p { return i }
            i += 1
        }
        return nil
    }

    static func trimmed(_ s: String, leading: Bool) -> String {
        leading ? String(s.drop { $0.isWhitespace }) : s
    }

    static func trimmedTrailing(_ s: String) -> String {
        var t = s
        while let last = t.last, last.isWhitespace { t.removeLast() }
        return t
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

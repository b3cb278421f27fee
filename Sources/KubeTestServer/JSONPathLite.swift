import KubeCore

/// The subset of kubectl JSONPath that printer columns use: `.a.b`, `['a.b']`, `[0]`, `[*]`
/// and filters `[?(@.type=="Ready")]` (== and !=).
enum JSONPathLite {
    enum Step {
        case key(String)
        case index(Int)
        case all
        case filter(path: [String], equals: Bool, value: String)
    }

    static func parse(_ path: String) -> [Step]? {
        var s = Substring(path.trimmingCharacters(in: .whitespaces))
        if s.hasPrefix("{"), s.hasSuffix("}") { s = s.dropFirst().dropLast() }
        if s.hasPrefix("$") { s = s.dropFirst() }
        var steps: [Step] = []
        while !s.isEmpty {
            if s.hasPrefix(".") {
                s = s.dropFirst()
                var key = ""
                while let c = s.first, c != ".", c != "[" {
                    if c == "\\", s.count > 1 {
                        key.append(s.dropFirst().first!)
                        s = s.dropFirst(2)
                        continue
                    }
                    key.append(c)
                    s = s.dropFirst()
                }
                if !key.isEmpty { steps.append(key == "*" ? .all : .key(key)) }
            } else if s.hasPrefix("[") {
                guard let close = s.firstIndex(of: "]") else { return nil }
                var inner = String(s[s.index(after: s.startIndex)..<close])
                if inner.hasPrefix("?(") {
                    // a filter may itself contain ']' inside quotes; find the closing ")]"
                    guard let end = s.range(of: ")]") else { return nil }
                    inner = String(s[s.index(s.startIndex, offsetBy: 3)..<end.lowerBound])
                    s = s[end.upperBound...]
                    guard let step = parseFilter(inner) else { return nil }
                    steps.append(step)
                    continue
                }
                s = s[s.index(after: close)...]
                if inner == "*" {
                    steps.append(.all)
                } else if let i = Int(inner) {
                    steps.append(.index(i))
                } else if inner.count >= 2, inner.first == "'" || inner.first == "\"" {
                    steps.append(.key(String(inner.dropFirst().dropLast())))
                } else {
                    return nil
                }
            } else {
                return nil
            }
        }
        return steps
    }

    /// `@.a.b=="v"` (the part inside `[?( )]`).
    static func parseFilter(_ text: String) -> Step? {
        let equals: Bool
        let parts: [String]
        if let r = text.range(of: "!=") {
            equals = false
            parts = [String(text[..<r.lowerBound]), String(text[r.upperBound...])]
        } else if let r = text.range(of: "==") {
            equals = true
            parts = [String(text[..<r.lowerBound]), String(text[r.upperBound...])]
        } else {
            return nil
        }
        let lhs = parts[0].trimmingCharacters(in: .whitespaces)
        guard lhs.hasPrefix("@") else { return nil }
        let path = lhs.dropFirst().split(separator: ".").map(String.init)
        var value = parts[1].trimmingCharacters(in: .whitespaces)
        if value.count >= 2, value.first == "'" || value.first == "\"" { value = String(value.dropFirst().dropLast()) }
        return .filter(path: path, equals: equals, value: value)
    }

    static func evaluate(_ path: String, on obj: JSONValue) -> [JSONValue] {
        guard let steps = parse(path) else { return [] }
        var current: [JSONValue] = [obj]
        for step in steps {
            var next: [JSONValue] = []
            for v in current {
                switch step {
                case .key(let k):
                    let c = v[k]
                    if !c.isNull { next.append(c) }
                case .index(let i):
                    if let a = v.arrayValue {
                        let j = i < 0 ? a.count + i : i
                        if a.indices.contains(j) { next.append(a[j]) }
                    }
                case .all:
                    if let a = v.arrayValue { next += a } else if let o = v.objectValue { next += o.keys.sorted().map { o[$0]! } }
                case .filter(let p, let equals, let value):
                    for item in v.arrayValue ?? [] {
                        let field = item[path: p]
                        let text = field.stringValue ?? (field.isNull ? nil : field.serialized())
                        if (text == value) == equals, !(equals && text == nil) { next.append(item) }
                    }
                }
            }
            current = next
        }
        return current
    }
}

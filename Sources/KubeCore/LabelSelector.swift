/// A label selector with kube's semantics: the string form (`app=web,tier in (a,b),!legacy`)
/// used in `?labelSelector=` and `kubectl -l`, and the `metav1.LabelSelector` object form
/// (`matchLabels` / `matchExpressions`) found in Deployment and Service specs.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    public enum Operator: String, Sendable, Hashable {
        case equals = "="
        case doubleEquals = "=="
        case notEquals = "!="
        case `in` = "in"
        case notIn = "notin"
        case exists = "exists"
        case doesNotExist = "!"
        case greaterThan = "gt"
        case lessThan = "lt"
    }

    public struct Requirement: Sendable, Hashable, CustomStringConvertible {
        public var key: String
        public var op: Operator
        /// Sorted, as kube keeps them; one value for `=`, `==`, `!=`, `gt`, `lt`; none for exists.
        public var values: [String]

        public init(key: String, op: Operator, values: [String] = []) {
            self.key = key
            self.op = op
            self.values = values
        }

        public func matches(_ labels: [String: String]) -> Bool {
            let v = labels[key]
            switch op {
            case .equals, .doubleEquals, .in:
                guard let v else { return false }
                return values.contains(v)
            case .notEquals, .notIn:
                // Absent keys satisfy negative requirements (kube semantics).
                guard let v else { return true }
                return !values.contains(v)
            case .exists: return v != nil
            case .doesNotExist: return v == nil
            case .greaterThan, .lessThan:
                guard let v, let have = Int64(v), let bound = values.first.flatMap({ Int64($0) }) else { return false }
                return op == .greaterThan ? have > bound : have < bound
            }
        }

        public var description: String {
            switch op {
            case .exists: return key
            case .doesNotExist: return "!" + key
            case .equals, .doubleEquals, .notEquals: return key + op.rawValue + (values.first ?? "")
            case .in, .notIn: return "\(key) \(op.rawValue) (\(values.joined(separator: ",")))"
            case .greaterThan: return key + ">" + (values.first ?? "")
            case .lessThan: return key + "<" + (values.first ?? "")
            }
        }
    }

    /// Sorted by key, as kube-apiserver keeps them.
    public private(set) var requirements: [Requirement]
    /// A nil `metav1.LabelSelector` selects nothing, unlike an empty one.
    public private(set) var selectsNothing: Bool

    public init(requirements: [Requirement] = []) {
        self.requirements = Self.sortedByKey(requirements)
        self.selectsNothing = false
    }

    /// Matches every object.
    public static let everything = LabelSelector()
    /// Matches no object (the meaning of an absent `metav1.LabelSelector`).
    public static let nothing: LabelSelector = {
        var s = LabelSelector()
        s.selectsNothing = true
        return s
    }()

    /// The selector a `matchLabels`-only map stands for (also Service `spec.selector`).
    public init(matchLabels: [String: String]) {
        self.init(requirements: matchLabels.map { Requirement(key: $0.key, op: .equals, values: [$0.value]) })
    }

    public var isEmpty: Bool { requirements.isEmpty && !selectsNothing }

    public func matches(_ labels: [String: String]) -> Bool {
        if selectsNothing { return false }
        return requirements.allSatisfy { $0.matches(labels) }
    }

    public var description: String { requirements.map(\.description).joined(separator: ",") }

    static func sortedByKey(_ reqs: [Requirement]) -> [Requirement] {
        reqs.enumerated().sorted { a, b in
            a.element.key != b.element.key ? a.element.key < b.element.key : a.offset < b.offset
        }.map(\.element)
    }
}

/// A selector that could not be parsed or is not valid; `description` says where and why.
public struct LabelSelectorError: Error, Sendable, Hashable, CustomStringConvertible {
    public var selector: String
    /// Byte offset in the selector string, when the error is a syntax error.
    public var position: Int?
    public var reason: String

    public var description: String {
        if let p = position { return "unable to parse label selector \"\(selector)\" at position \(p): \(reason)" }
        return "invalid label selector \"\(selector)\": \(reason)"
    }
}

// MARK: - metav1.LabelSelector

extension LabelSelector {
    /// Reads a `metav1.LabelSelector`. `null` selects nothing, `{}` everything.
    public init(json: JSONValue) throws {
        if json.isNull { self = .nothing; return }
        guard case .object = json else {
            throw LabelSelectorError(selector: json.serialized(), position: nil, reason: "a label selector must be an object")
        }
        var reqs: [Requirement] = []
        if !json["matchLabels"].isNull {
            guard let ml = json["matchLabels"].objectValue else {
                throw LabelSelectorError(selector: json.serialized(), position: nil, reason: "matchLabels must be a map of strings")
            }
            for (k, v) in ml {
                guard let s = v.stringValue else {
                    throw LabelSelectorError(
                        selector: json.serialized(), position: nil, reason: "matchLabels[\(k)] must be a string")
                }
                try Self.validate(key: k, values: [s], selector: json.serialized())
                reqs.append(Requirement(key: k, op: .equals, values: [s]))
            }
        }
        for (i, e) in (json["matchExpressions"].arrayValue ?? []).enumerated() {
            let where_ = "matchExpressions[\(i)]"
            guard let key = e["key"].stringValue else {
                throw LabelSelectorError(selector: json.serialized(), position: nil, reason: "\(where_).key is required")
            }
            let opName = e["operator"].stringValue ?? ""
            let values = (e["values"].arrayValue ?? []).compactMap(\.stringValue)
            let op: Operator
            switch opName {
            case "In": op = .in
            case "NotIn": op = .notIn
            case "Exists": op = .exists
            case "DoesNotExist": op = .doesNotExist
            default:
                throw LabelSelectorError(
                    selector: json.serialized(), position: nil, reason: "\"\(opName)\" is not a valid label selector operator")
            }
            switch op {
            case .in, .notIn:
                if values.isEmpty {
                    throw LabelSelectorError(
                        selector: json.serialized(), position: nil,
                        reason: "\(where_).values: for 'in', 'notin' operators, values set can't be empty")
                }
            default:
                if !values.isEmpty {
                    throw LabelSelectorError(
                        selector: json.serialized(), position: nil,
                        reason: "\(where_).values: values set must be empty for exists and does not exist")
                }
            }
            try Self.validate(key: key, values: values, selector: json.serialized())
            reqs.append(Requirement(key: key, op: op, values: Array(Set(values)).sorted()))
        }
        self.init(requirements: reqs)
    }

    static func validate(key: String, values: [String], selector: String) throws {
        if let e = KubeNames.qualifiedNameErrors(key).first {
            throw LabelSelectorError(selector: selector, position: nil, reason: "key \"\(key)\": \(e)")
        }
        for v in values {
            if let e = KubeNames.labelValueErrors(v).first {
                throw LabelSelectorError(selector: selector, position: nil, reason: "value \"\(v)\": \(e)")
            }
        }
    }
}

// MARK: - The string form

extension LabelSelector {
    /// Parses the string form. Empty (or all whitespace) selects everything.
    public init(parsing text: String) throws {
        var p = LabelSelectorParser(text: text)
        self.init(requirements: try p.parse())
    }
}

struct LabelSelectorParser {
    enum Token: Equatable {
        case identifier(String)
        case not  // !
        case notEquals  // !=
        case equals  // =
        case doubleEquals  // ==
        case greater  // >
        case less  // <
        case open  // (
        case close  // )
        case comma
        case end

        var text: String {
            switch self {
            case .identifier(let s): return s
            case .not: return "!"
            case .notEquals: return "!="
            case .equals: return "="
            case .doubleEquals: return "=="
            case .greater: return ">"
            case .less: return "<"
            case .open: return "("
            case .close: return ")"
            case .comma: return ","
            case .end: return "end of string"
            }
        }
    }

    let text: String
    let bytes: [UInt8]
    var tokens: [(Token, Int)] = []
    var index = 0

    init(text: String) {
        self.text = text
        self.bytes = Array(text.utf8)
    }

    static func isSpecial(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","),
            UInt8(ascii: ">"), UInt8(ascii: "<"):
            return true
        default: return false
        }
    }

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    mutating func lex() {
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if Self.isSpace(c) { i += 1; continue }
            let start = i
            let next: UInt8? = i + 1 < bytes.count ? bytes[i + 1] : nil
            switch c {
            case UInt8(ascii: "!"):
                if next == UInt8(ascii: "=") { tokens.append((.notEquals, start)); i += 2 } else { tokens.append((.not, start)); i += 1 }
            case UInt8(ascii: "="):
                if next == UInt8(ascii: "=") { tokens.append((.doubleEquals, start)); i += 2 } else { tokens.append((.equals, start)); i += 1 }
            case UInt8(ascii: ">"): tokens.append((.greater, start)); i += 1
            case UInt8(ascii: "<"): tokens.append((.less, start)); i += 1
            case UInt8(ascii: "("): tokens.append((.open, start)); i += 1
            case UInt8(ascii: ")"): tokens.append((.close, start)); i += 1
            case UInt8(ascii: ","): tokens.append((.comma, start)); i += 1
            default:
                while i < bytes.count, !Self.isSpace(bytes[i]), !Self.isSpecial(bytes[i]) { i += 1 }
                tokens.append((.identifier(String(decoding: bytes[start..<i], as: UTF8.self)), start))
            }
        }
        tokens.append((.end, bytes.count))
    }

    var peek: (Token, Int) { tokens[index] }
    mutating func next() -> (Token, Int) {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    func fail(_ at: Int, _ reason: String) -> LabelSelectorError {
        LabelSelectorError(selector: text, position: at, reason: reason)
    }

    func unexpected(_ t: (Token, Int), expected: String) -> LabelSelectorError {
        fail(t.1, "found '\(t.0.text)', expected: \(expected)")
    }

    mutating func parse() throws -> [LabelSelector.Requirement] {
        lex()
        var reqs: [LabelSelector.Requirement] = []
        if peek.0 == .end { return reqs }
        while true {
            reqs.append(try parseRequirement())
            let t = next()
            switch t.0 {
            case .end: return reqs
            case .comma:
                if peek.0 == .end { throw unexpected(peek, expected: "identifier after ','") }
            default: throw unexpected(t, expected: "',' or end of string")
            }
        }
    }

    mutating func parseRequirement() throws -> LabelSelector.Requirement {
        var negated = false
        if peek.0 == .not { negated = true; _ = next() }
        let keyTok = next()
        guard case .identifier(let key) = keyTok.0, key != "in", key != "notin" else {
            throw unexpected(keyTok, expected: negated ? "identifier after '!'" : "identifier")
        }
        if let e = KubeNames.qualifiedNameErrors(key).first {
            throw fail(keyTok.1, "invalid label key \"\(key)\": \(e)")
        }
        if negated {
            guard peek.0 == .comma || peek.0 == .end else { throw unexpected(peek, expected: "',' or end of string after '!\(key)'") }
            return .init(key: key, op: .doesNotExist, values: [])
        }
        if peek.0 == .comma || peek.0 == .end { return .init(key: key, op: .exists, values: []) }
        let opTok = next()
        let op: LabelSelector.Operator
        switch opTok.0 {
        case .equals: op = .equals
        case .doubleEquals: op = .doubleEquals
        case .notEquals: op = .notEquals
        case .greater: op = .greaterThan
        case .less: op = .lessThan
        case .identifier("in"): op = .in
        case .identifier("notin"): op = .notIn
        default: throw unexpected(opTok, expected: "one of '=', '==', '!=', 'in', 'notin', '>', '<'")
        }
        var values: [String]
        if op == .in || op == .notIn {
            values = try parseSet()
        } else {
            // `key=` means the empty value, as in kube.
            if peek.0 == .comma || peek.0 == .end {
                values = [""]
            } else {
                let vt = next()
                guard case .identifier(let v) = vt.0 else { throw unexpected(vt, expected: "identifier (a label value)") }
                values = [v]
                if op == .greaterThan || op == .lessThan, Int64(v) == nil {
                    throw fail(vt.1, "for 'gt', 'lt' operators, the value must be an integer")
                }
            }
        }
        for v in values where !(op == .greaterThan || op == .lessThan) {
            if let e = KubeNames.labelValueErrors(v).first { throw fail(opTok.1, "invalid label value \"\(v)\": \(e)") }
        }
        values = Array(Set(values)).sorted()
        return .init(key: key, op: op, values: values)
    }

    /// `( v1, v2 )`; an empty slot (`()`, `(a,)`) is the empty value, as in kube.
    mutating func parseSet() throws -> [String] {
        let open = next()
        guard open.0 == .open else { throw unexpected(open, expected: "'(' after 'in' or 'notin'") }
        var values: [String] = []
        var expectValue = true
        while true {
            let t = next()
            switch t.0 {
            case .identifier(let v):
                guard expectValue else { throw unexpected(t, expected: "',' or ')'") }
                values.append(v)
                expectValue = false
            case .comma:
                if expectValue { values.append("") }
                expectValue = true
            case .close:
                if expectValue { values.append("") }
                return values
            default:
                throw unexpected(t, expected: expectValue ? "a value or ')'" : "',' or ')'")
            }
        }
    }
}

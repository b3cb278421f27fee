/// JSON Patch (RFC 6902): `application/json-patch+json`. Operations apply in order; the
/// first failure aborts the whole patch (the caller keeps the original document).
public enum JSONPatch {
    public static func apply(_ ops: JSONValue, to document: JSONValue) throws -> JSONValue {
        guard let list = ops.arrayValue else {
            throw JSONPatchError(index: nil, op: "", path: "", reason: "a JSON patch must be an array of operations")
        }
        var doc = document
        for (i, item) in list.enumerated() {
            guard let fields = item.objectValue else {
                throw JSONPatchError(index: i, op: "", path: "", reason: "an operation must be an object")
            }
            let op = fields["op"]?.stringValue ?? ""
            let pathText = fields["path"]?.stringValue ?? ""
            func fail(_ reason: String) -> JSONPatchError { JSONPatchError(index: i, op: op, path: pathText, reason: reason) }
            guard fields["op"]?.stringValue != nil else { throw fail("missing 'op'") }
            guard fields["path"]?.stringValue != nil else { throw fail("missing 'path'") }
            do {
                let path = try JSONPointer(pathText)
                func value() throws -> JSONValue {
                    guard let v = fields["value"] else { throw JSONPointerFailure("missing 'value'") }
                    return v
                }
                func from() throws -> JSONPointer {
                    guard let f = fields["from"]?.stringValue else { throw JSONPointerFailure("missing 'from'") }
                    return try JSONPointer(f)
                }
                switch op {
                case "add":
                    doc = try path.adding(try value(), to: doc)
                case "remove":
                    doc = try path.removing(from: doc).document
                case "replace":
                    let v = try value()
                    _ = try path.resolve(in: doc)
                    doc = try path.replacing(with: v, in: doc)
                case "move":
                    let src = try from()
                    if src.tokens == path.tokens { continue }
                    if path.tokens.count > src.tokens.count, Array(path.tokens.prefix(src.tokens.count)) == src.tokens {
                        throw JSONPointerFailure("cannot move '\(src.text)' into one of its own children")
                    }
                    let (rest, moved) = try src.removing(from: doc)
                    doc = try path.adding(moved, to: rest)
                case "copy":
                    let src = try from()
                    doc = try path.adding(try src.resolve(in: doc), to: doc)
                case "test":
                    let expected = try value()
                    let actual: JSONValue
                    do { actual = try path.resolve(in: doc) } catch let e as JSONPointerFailure {
                        throw JSONPatchError(index: i, op: op, path: pathText, reason: "test operation failed: \(e.reason)")
                    }
                    if actual != expected {
                        throw JSONPatchError(
                            index: i, op: op, path: pathText,
                            reason: "test operation failed: value is \(actual.serialized()), expected \(expected.serialized())")
                    }
                default:
                    throw JSONPointerFailure("unknown operation '\(op)'")
                }
            } catch let e as JSONPointerFailure {
                throw fail(e.reason)
            }
        }
        return doc
    }
}

/// A JSON patch that could not be applied; names the operation by index and its path.
public struct JSONPatchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Index of the failing operation; nil when the patch document itself is malformed.
    public var index: Int?
    public var op: String
    public var path: String
    public var reason: String

    /// True for a `test` operation whose value did not match (kube answers 422 then, not 400).
    public var isTestFailure: Bool { op == "test" && reason.hasPrefix("test operation failed") }

    public var description: String {
        guard let index else { return "invalid JSON patch: \(reason)" }
        return "JSON patch operation \(index) (\(op) \(path)): \(reason)"
    }
}

struct JSONPointerFailure: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// RFC 6901 pointer: `/a/b~1c/0`, with `~1` for `/` and `~0` for `~`; `""` is the whole document.
struct JSONPointer {
    let text: String
    let tokens: [String]

    init(_ text: String) throws {
        self.text = text
        if text.isEmpty { tokens = []; return }
        guard text.hasPrefix("/") else { throw JSONPointerFailure("pointer '\(text)' must start with '/'") }
        var out: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var tok = ""
            var it = raw.makeIterator()
            while let c = it.next() {
                guard c == "~" else { tok.append(c); continue }
                switch it.next() {
                case "0": tok.append("~")
                case "1": tok.append("/")
                default: throw JSONPointerFailure("invalid escape in pointer '\(text)' (only ~0 and ~1 are allowed)")
                }
            }
            out.append(tok)
        }
        tokens = out
    }

    /// The array index a token names; `allowEnd` admits `count` (insert at the end).
    static func index(_ token: String, count: Int, allowEnd: Bool) throws -> Int {
        if token == "-" && allowEnd { return count }
        guard !token.isEmpty, token.allSatisfy({ $0.isASCII && $0.isNumber }), token == "0" || !token.hasPrefix("0"),
            let i = Int(token)
        else { throw JSONPointerFailure("'\(token)' is not an array index") }
        guard i < count || (allowEnd && i == count) else {
            throw JSONPointerFailure("array index \(i) is out of range (length \(count))")
        }
        return i
    }

    func resolve(in doc: JSONValue) throws -> JSONValue {
        var cur = doc
        for (n, tok) in tokens.enumerated() {
            switch cur {
            case .object(let o):
                guard let v = o[tok] else { throw JSONPointerFailure("no member '\(tok)' at \(prefix(n + 1))") }
                cur = v
            case .array(let a):
                cur = a[try Self.index(tok, count: a.count, allowEnd: false)]
            default:
                throw JSONPointerFailure("\(prefix(n)) is not an object or array")
            }
        }
        return cur
    }

    /// The pointer text of the first `n` tokens, for messages.
    func prefix(_ n: Int) -> String {
        if n == 0 { return "the document root" }
        return "/" + tokens.prefix(n).map { $0.replacingTilde() }.joined(separator: "/")
    }

    /// Rebuilds `doc` with the parent container of the last token changed by `body`.
    func updatingParent(
        of doc: JSONValue, depth: Int = 0, _ body: (JSONValue, String) throws -> JSONValue
    ) throws -> JSONValue {
        let tok = tokens[depth]
        if depth == tokens.count - 1 { return try body(doc, tok) }
        switch doc {
        case .object(var o):
            guard let child = o[tok] else { throw JSONPointerFailure("no member '\(tok)' at \(prefix(depth + 1))") }
            o[tok] = try updatingParent(of: child, depth: depth + 1, body)
            return .object(o)
        case .array(var a):
            let i = try Self.index(tok, count: a.count, allowEnd: false)
            a[i] = try updatingParent(of: a[i], depth: depth + 1, body)
            return .array(a)
        default:
            throw JSONPointerFailure("\(prefix(depth)) is not an object or array")
        }
    }

    func adding(_ value: JSONValue, to doc: JSONValue) throws -> JSONValue {
        if tokens.isEmpty { return value }
        return try updatingParent(of: doc) { parent, tok in
            switch parent {
            case .object(var o):
                o[tok] = value
                return .object(o)
            case .array(var a):
                a.insert(value, at: try Self.index(tok, count: a.count, allowEnd: true))
                return .array(a)
            default:
                throw JSONPointerFailure("\(prefix(tokens.count - 1)) is not an object or array")
            }
        }
    }

    func replacing(with value: JSONValue, in doc: JSONValue) throws -> JSONValue {
        if tokens.isEmpty { return value }
        return try updatingParent(of: doc) { parent, tok in
            switch parent {
            case .object(var o):
                guard o[tok] != nil else { throw JSONPointerFailure("no member '\(tok)' to replace") }
                o[tok] = value
                return .object(o)
            case .array(var a):
                a[try Self.index(tok, count: a.count, allowEnd: false)] = value
                return .array(a)
            default:
                throw JSONPointerFailure("\(prefix(tokens.count - 1)) is not an object or array")
            }
        }
    }

    func removing(from doc: JSONValue) throws -> (document: JSONValue, removed: JSONValue) {
        if tokens.isEmpty { throw JSONPointerFailure("cannot remove the document root") }
        var removed: JSONValue = .null
        let out = try updatingParent(of: doc) { parent, tok in
            switch parent {
            case .object(var o):
                guard let v = o.removeValue(forKey: tok) else { throw JSONPointerFailure("no member '\(tok)' to remove") }
                removed = v
                return .object(o)
            case .array(var a):
                removed = a.remove(at: try Self.index(tok, count: a.count, allowEnd: false))
                return .array(a)
            default:
                throw JSONPointerFailure("\(prefix(tokens.count - 1)) is not an object or array")
            }
        }
        return (out, removed)
    }
}

extension String {
    fileprivate func replacingTilde() -> String {
        var out = ""
        for c in self {
            switch c {
            case "~": out += "~0"
            case "/": out += "~1"
            default: out.append(c)
            }
        }
        return out
    }
}

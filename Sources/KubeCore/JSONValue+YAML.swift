import Yams

/// YAML manifests as JSON values, the way kubectl turns them into request bodies: mappings
/// become objects, unquoted scalars become booleans, numbers or null, quoted ones strings.
extension JSONValue {
    /// The first document of `yaml` (`.null` for an empty stream).
    public init(yaml: String) throws {
        guard let node = try Yams.compose(yaml: yaml) else { self = .null; return }
        var budget = YAMLExpansionBudget(sourceBytes: yaml.utf8.count)
        self = try JSONValue.bounded(node, &budget)
    }

    /// Every document of a `---`-separated stream.
    public static func documents(yaml: String) throws -> [JSONValue] {
        // Not `compose_all`: its lazy sequence ends quietly at a syntax error, dropping the
        // rest of the file. The parser throws, naming the line. Empty documents (a comment, a
        // stray `---`) are skipped, as kubectl skips them.
        let parser = try Parser(yaml: yaml)
        var out: [JSONValue] = []
        var budget = YAMLExpansionBudget(sourceBytes: yaml.utf8.count)
        while let node = try parser.nextRoot() {
            let doc = try JSONValue.bounded(node, &budget)
            if doc != .null { out.append(doc) }
        }
        return out
    }

    /// The conversion with a cap on the values it produces: aliases let a few hundred bytes
    /// expand to millions of values ("billion laughs"), which the API server refuses too.
    static func bounded(_ node: Node, _ budget: inout YAMLExpansionBudget) throws -> JSONValue {
        try budget.spend()
        switch node {
        case .mapping(let m):
            var o: [String: JSONValue] = [:]
            for (k, v) in m { o[k.string ?? ""] = try bounded(v, &budget) }
            return .object(o)
        case .sequence(let s):
            return .array(try s.map { try bounded($0, &budget) })
        case .scalar, .alias:
            return JSONValue(yamlNode: node)
        }
    }

    public init(yamlNode node: Node) {
        switch node {
        case .mapping(let m):
            var o: [String: JSONValue] = [:]
            for (k, v) in m { o[k.string ?? ""] = JSONValue(yamlNode: v) }
            self = .object(o)
        case .sequence(let s):
            self = .array(s.map(JSONValue.init(yamlNode:)))
        case .scalar(let s):
            self = Self.scalar(s)
        case .alias(let a):
            // Yams resolves aliases while composing; one left over has nothing to read but its name.
            self = .string(a.anchor.rawValue)
        }
    }

    static func scalar(_ s: Node.Scalar) -> JSONValue {
        guard s.style == .plain else { return .string(s.string) }
        if ["null", "Null", "NULL", "~", ""].contains(s.string) { return .null }
        if let b = Bool.construct(from: s) { return .bool(b) }
        if let i = Int64(s.string) { return .int(i) }
        if let d = Double.construct(from: s), d.isFinite { return .double(d) }
        return .string(s.string)
    }
}

/// How many values a YAML text may turn into: generous for any real manifest (one value per
/// byte of source, at least 50,000), far below what an alias bomb expands to.
struct YAMLExpansionBudget {
    let limit: Int
    var used = 0

    init(sourceBytes: Int) { limit = max(50_000, sourceBytes) }

    mutating func spend() throws {
        used += 1
        if used > limit { throw YAMLExpansionError(limit: limit) }
    }
}

public struct YAMLExpansionError: Error, CustomStringConvertible {
    public let limit: Int
    public var description: String {
        "the YAML expands to more than \(limit) values (excessive aliasing); write the values out instead of nesting aliases"
    }
}

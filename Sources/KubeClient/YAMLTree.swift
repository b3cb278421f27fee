import Yams

/// A plain tree of a YAML document: kubeconfig fields are read as strings, and the
/// reader decides what a scalar means (so a token of digits stays a token).
indirect enum YAMLTree: Sendable {
    case null
    case scalar(String)
    case mapping([(String, YAMLTree)])
    case sequence([YAMLTree])

    init(_ node: Node) {
        switch node {
        case .scalar(let s):
            // Only an untagged, unquoted `null`/`~`/empty scalar is null in YAML.
            if s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) {
                self = .null
            } else {
                self = .scalar(s.string)
            }
        case .mapping(let m):
            self = .mapping(m.map { (key, value) in (key.string ?? "", YAMLTree(value)) })
        case .sequence(let seq):
            self = .sequence(seq.map { YAMLTree($0) })
        case .alias:
            // Yams resolves aliases while composing; one left over carries nothing we can read.
            self = .null
        }
    }

    static func parse(_ text: String) throws -> YAMLTree {
        guard let node = try Yams.compose(yaml: text) else { return .null }
        return YAMLTree(node)
    }

    subscript(key: String) -> YAMLTree {
        if case .mapping(let pairs) = self { return pairs.first { $0.0 == key }?.1 ?? .null }
        return .null
    }

    var isNull: Bool { if case .null = self { return true } else { return false } }

    var string: String? { if case .scalar(let s) = self { return s } else { return nil } }

    var kindName: String {
        switch self {
        case .null: return "null"
        case .scalar: return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }
}

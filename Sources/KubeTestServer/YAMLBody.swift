import KubeCore
import Yams

/// Request bodies sent as `application/yaml`.
enum YAMLBody {
    static func decode(_ bytes: [UInt8]) throws -> JSONValue {
        let text = String(decoding: bytes, as: UTF8.self)
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw APIErrors.badRequest("error converting YAML to JSON: \(error)") }
        guard let node else { throw APIErrors.badRequest("empty YAML body") }
        return convert(node)
    }

    static func convert(_ node: Node) -> JSONValue {
        switch node {
        case .mapping(let m):
            var o: [String: JSONValue] = [:]
            for (k, v) in m { o[k.string ?? ""] = convert(v) }
            return .object(o)
        case .sequence(let s):
            return .array(s.map(convert))
        case .scalar(let s):
            if s.style != .plain { return .string(s.string) }
            if let b = Bool.construct(from: s) { return .bool(b) }
            if let i = Int64(s.string) { return .int(i) }
            if ["null", "Null", "NULL", "~", ""].contains(s.string) { return .null }
            if let d = Double.construct(from: s) { return .double(d) }
            return .string(s.string)
        case .alias(let a):
            return .string(a.anchor.rawValue)
        }
    }
}

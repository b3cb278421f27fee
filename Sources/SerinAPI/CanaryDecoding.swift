import Foundation
import KubeCore
import Yams

/// Why a Canary document could not be read: the field path and what was wrong there.
public struct CanaryDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// e.g. `spec.analysis.stepWeight`.
    public var path: String
    public var message: String
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

extension Canary {
    /// Decodes a Canary from its JSON form; a type error names the field path
    /// (`spec.analysis.stepWeight: expected Int`).
    public init(json: JSONValue) throws(CanaryDecodeError) {
        do {
            self = try json.decode(as: Canary.self)
        } catch let e as DecodingError {
            let text = e.fieldMessage
            if let colon = text.range(of: ": ") {
                throw CanaryDecodeError(path: String(text[..<colon.lowerBound]), message: String(text[colon.upperBound...]))
            }
            throw CanaryDecodeError(path: "", message: text)
        } catch {
            throw CanaryDecodeError(path: "", message: "\(error)")
        }
    }

    /// Decodes a Canary manifest written in YAML (one document).
    public init(yaml: String) throws(CanaryDecodeError) {
        let value: JSONValue
        do {
            value = try Self.jsonValue(fromYAMLObject: Yams.load(yaml: yaml) as Any)
        } catch {
            throw CanaryDecodeError(path: "", message: "invalid YAML: \(error)")
        }
        try self.init(json: value)
    }

    /// The JSON form of this Canary (what the API server stores).
    public var json: JSONValue { (try? JSONValue(encoding: self)) ?? .null }

    private static func jsonValue(fromYAMLObject any: Any) throws -> JSONValue {
        switch any {
        case is NSNull: return .null
        case let b as Bool: return .bool(b)
        case let i as Int: return .int(Int64(i))
        case let d as Double: return .double(d)
        case let s as String: return .string(s)
        case let date as Date: return .string(date.formatted(.iso8601))
        case let a as [Any]: return .array(try a.map(jsonValue(fromYAMLObject:)))
        case let o as [AnyHashable: Any]:
            var out: [String: JSONValue] = [:]
            for (k, v) in o { out["\(k.base)"] = try jsonValue(fromYAMLObject: v) }
            return .object(out)
        default:
            return .string("\(any)")
        }
    }
}

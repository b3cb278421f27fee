import Foundation
import KubeCore

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
            value = try JSONValue(yaml: yaml)
        } catch {
            throw CanaryDecodeError(path: "", message: "invalid YAML: \(error)")
        }
        try self.init(json: value)
    }

    /// The JSON form of this Canary (what the API server stores).
    public var json: JSONValue { (try? JSONValue(encoding: self)) ?? .null }
}

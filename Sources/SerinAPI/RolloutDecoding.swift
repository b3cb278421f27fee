import Foundation
import KubeCore

/// Why a Rollout document could not be read: the field path and what was wrong there.
public struct RolloutDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// e.g. `spec.strategy.canary.steps[1].setWeight`.
    public var path: String
    public var message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

extension Rollout {
    /// Decodes a Rollout from its JSON form; a type error names the field path
    /// (`spec.strategy.canary.steps[0].setWeight: expected Int`).
    public init(json: JSONValue) throws(RolloutDecodeError) {
        do {
            self = try json.decode(as: Rollout.self)
        } catch let e as DecodingError {
            let text = e.fieldMessage
            if let colon = text.range(of: ": ") {
                throw RolloutDecodeError(path: String(text[..<colon.lowerBound]), message: String(text[colon.upperBound...]))
            }
            throw RolloutDecodeError(path: "", message: text)
        } catch {
            throw RolloutDecodeError(path: "", message: "\(error)")
        }
    }

    /// Decodes a Rollout manifest written in YAML (one document).
    public init(yaml: String) throws(RolloutDecodeError) {
        let value: JSONValue
        do {
            value = try JSONValue(yaml: yaml)
        } catch {
            throw RolloutDecodeError(path: "", message: "invalid YAML: \(error)")
        }
        try self.init(json: value)
    }

    /// The JSON form of this Rollout (what the API server stores).
    public var json: JSONValue { (try? JSONValue(encoding: self)) ?? .null }
}

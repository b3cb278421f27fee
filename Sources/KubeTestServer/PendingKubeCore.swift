// TEMPORARY: stand-ins for KubeCore functions another helper is adding. Delete this file once
// LabelSelector, JSONMergePatch, JSONPatch, StrategicMergePatch and KubeNames land in KubeCore.
import KubeCore

struct LabelSelector: Sendable {
    init(parsing: String) throws {}
    init(json: JSONValue) throws {}
    func matches(_ labels: [String: String]) -> Bool { true }
}
enum JSONMergePatch { static func apply(_ patch: JSONValue, to: JSONValue) -> JSONValue { to } }
enum JSONPatch { static func apply(_ ops: JSONValue, to: JSONValue) throws -> JSONValue { to } }
enum StrategicMergePatch { static func apply(_ patch: JSONValue, to: JSONValue, kind: String) throws -> JSONValue { to } }

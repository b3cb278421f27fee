import KubeCore
import Yams

/// Request bodies sent as `application/yaml`.
enum YAMLBody {
    static func decode(_ bytes: [UInt8]) throws -> JSONValue {
        let text = String(decoding: bytes, as: UTF8.self)
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw APIErrors.badRequest("error converting YAML to JSON: \(error)") }
        guard let node else { throw APIErrors.badRequest("empty YAML body") }
        return JSONValue(yamlNode: node)
    }
}

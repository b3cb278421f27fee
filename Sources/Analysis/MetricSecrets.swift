import Foundation
import KubeCore

/// Reading a Secret's values for metric credentials.
public enum MetricSecrets {
    /// A Secret's `data` (base64) and `stringData`, decoded.
    public static func decodedData(_ secret: JSONValue) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in secret["data"].objectValue ?? [:] {
            if let b64 = v.stringValue, let d = Data(base64Encoded: b64), let s = String(data: d, encoding: .utf8) {
                out[k] = s
            }
        }
        for (k, v) in secret["stringData"].objectValue ?? [:] { out[k] = v.stringValue }
        return out
    }
}

import Foundation
import Logging
import KubeCore

/// One JSON object a line: `ts`, `level`, `msg`, then metadata (`namespace`, `name`, `kind`,
/// `reconcile_id`, …). Values of keys that look like credentials are replaced, so a token
/// can never reach a log line even when a caller attaches it by mistake.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let sink: @Sendable (String) -> Void

    static let redactedKeys: Set<String> = ["token", "password", "authorization", "bearer", "secret", "apikey", "api_key"]

    public init(label: String, level: Logger.Level = .info, sink: @escaping @Sendable (String) -> Void = JSONLogHandler.stdout) {
        self.label = label
        self.logLevel = level
        self.sink = sink
    }

    public static let stdout: @Sendable (String) -> Void = { line in
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var obj: JSONValue = [
            "ts": .string(Self.timestamp()),
            "level": .string(event.level.rawValue),
            "msg": .string(event.message.description),
            "logger": .string(label),
        ]
        for (k, v) in merged where obj[k].isNull {
            obj[k] = Self.redactedKeys.contains(k.lowercased()) ? "[redacted]" : Self.json(v)
        }
        if event.level >= .error { obj["source"] = .string("\(event.file.split(separator: "/").last ?? ""):\(event.line)") }
        sink(obj.serialized())
    }

    static func json(_ v: Logger.Metadata.Value) -> JSONValue {
        switch v {
        case .string(let s): return .string(s)
        case .stringConvertible(let c): return .string(c.description)
        case .array(let a): return .array(a.map(json))
        case .dictionary(let d):
            var o: [String: JSONValue] = [:]
            for (k, val) in d { o[k] = redactedKeys.contains(k.lowercased()) ? "[redacted]" : json(val) }
            return .object(o)
        }
    }

    static func timestamp() -> String {
        let f = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return Date().formatted(f)
    }
}

import Foundation
import KubeCore

/// Turns the body of a watch (one JSON object per line, arriving in arbitrary chunks)
/// into events as soon as each line is complete. An event may span chunks and a chunk
/// may carry several events.
public struct WatchEventDecoder: Sendable {
    private var pending: [UInt8] = []
    /// Guards against a server that never sends a newline.
    public var maxEventBytes: Int

    public init(maxEventBytes: Int = 64 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    /// Feeds one chunk; returns the events completed by it.
    public mutating func feed<Bytes: Sequence>(_ chunk: Bytes) throws -> [WatchEvent] where Bytes.Element == UInt8 {
        pending.append(contentsOf: chunk)
        var events: [WatchEvent] = []
        var start = 0
        while let nl = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if let e = try Self.decodeLine(pending[start..<nl]) { events.append(e) }
            start = nl + 1
        }
        if start > 0 { pending.removeFirst(start) }
        if pending.count > maxEventBytes {
            throw KubeAPIError.transport("watch event larger than \(maxEventBytes) bytes without a line end")
        }
        return events
    }

    /// At the end of the body: the last event if the server did not end it with a newline.
    public mutating func finish() throws -> WatchEvent? {
        defer { pending.removeAll() }
        return try Self.decodeLine(pending[...])
    }

    static func decodeLine(_ line: ArraySlice<UInt8>) throws -> WatchEvent? {
        if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
            return nil
        }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: line)
        } catch {
            // No excerpt: the line may carry Secret data.
            throw KubeAPIError.transport("malformed watch event (\(line.count) bytes): \(error)")
        }
        guard let typeName = json["type"].stringValue, let type = WatchEventType(rawValue: typeName) else {
            throw KubeAPIError.transport("watch event without a known type: \(json["type"].serialized())")
        }
        return WatchEvent(type: type, object: json["object"])
    }
}

/// The start of a body for error messages (never the whole of a possibly large body).
func excerpt<Bytes: Collection>(_ bytes: Bytes, limit: Int = 200) -> String where Bytes.Element == UInt8 {
    let s = String(decoding: bytes.prefix(limit), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    return bytes.count > limit ? s + "…" : s
}

import Foundation
import KubeCore

/// The recent Events about one object, newest last, as `kubectl describe` shows them.
enum EventsView {
    struct Entry: Sendable {
        var time: Date?
        var type: String
        var reason: String
        var message: String
        var count: Int
        var resourceVersion: String
    }

    static func fetch(session: ClusterSession, kind: String, name: String, namespace: String) async throws -> [Entry] {
        let selector = "involvedObject.kind=\(kind),involvedObject.name=\(name)"
        let list: ObjectList
        do {
            list = try await session.api.list(.events, namespace: namespace, options: ListOptions(fieldSelector: selector))
        } catch let e as KubeAPIError where e.isNotFound || e.code == 403 {
            return []  // events are a nicety; a user without access to them still gets the status
        }
        let entries = list.items.map { e in
            let stamp = e["lastTimestamp"].stringValue ?? e["series"]["lastObservedTime"].stringValue
                ?? e["eventTime"].stringValue ?? e["firstTimestamp"].stringValue
                ?? e["metadata"]["creationTimestamp"].stringValue
            return Entry(time: KubeTime.parse(stamp), type: e["type"].stringValue ?? "",
                         reason: e["reason"].stringValue ?? "", message: e["message"].stringValue ?? "",
                         count: e["count"].intValue ?? e["series"]["count"].intValue ?? 1,
                         resourceVersion: e["metadata"]["resourceVersion"].stringValue ?? "")
        }
        return entries.sorted { ($0.time ?? .distantPast) < ($1.time ?? .distantPast) }
    }

    static func render(_ entries: [Entry], limit: Int, now: Date) -> String {
        guard !entries.isEmpty else { return "Events: <none>\n" }
        let shown = entries.suffix(limit)
        var table = TextTable(["AGE", "TYPE", "REASON", "MESSAGE"])
        for e in shown {
            let age = e.time.map { HumanDuration.format(now.timeIntervalSince($0)) } ?? "-"
            table.add([e.count > 1 ? "\(age) (x\(e.count))" : age, e.type, e.reason, e.message])
        }
        let header = entries.count > shown.count ? "Events (last \(shown.count) of \(entries.count)):\n" : "Events:\n"
        return header + table.render(indent: "  ")
    }
}

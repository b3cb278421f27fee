import Foundation
import KubeCore

/// meta.k8s.io/v1 Table responses (what `kubectl get` asks for): CRD printer columns, or a
/// few well-known columns for built-in kinds.
enum TableConverter {
    struct Column {
        var name: String
        var type: String
        var format: String = ""
        var description: String = ""
        var priority: Int = 0
        var cell: (JSONValue) -> JSONValue
    }

    static func table(_ r: ServedResource, _ objects: [JSONValue], includeObject: String?, listRV: String?, columns includeColumns: Bool = true) -> JSONValue {
        let cols = columns(for: r)
        var rows: [JSONValue] = []
        for obj in objects {
            var row: JSONValue = ["cells": .array(cols.map { $0.cell(obj) })]
            switch includeObject ?? "Metadata" {
            case "None": break
            case "Object": row["object"] = obj
            default: row["object"] = MetadataView.object(obj)
            }
            rows.append(row)
        }
        var t: JSONValue = ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": [:], "rows": .array(rows)]
        if let rv = listRV { t["metadata"]["resourceVersion"] = .string(rv) }
        t["columnDefinitions"] = includeColumns
            ? .array(cols.map {
                ["name": .string($0.name), "type": .string($0.type), "format": .string($0.format), "description": .string($0.description), "priority": .int(Int64($0.priority))]
            }) : []
        return t
    }

    static func columns(for r: ServedResource) -> [Column] {
        let name = Column(
            name: "Name", type: "string", format: "name",
            description: "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
        ) { .string($0.name ?? "") }
        let age = Column(
            name: "Age", type: "string",
            description: "CreationTimestamp is a timestamp representing the server time when this object was created."
        ) { .string(humanAge($0["metadata"]["creationTimestamp"].stringValue)) }
        if r.isCustom {
            var cols = [name]
            var hasAge = false
            for c in r.printerColumns {
                if c.jsonPath == ".metadata.creationTimestamp" { hasAge = true }
                cols.append(Column(name: c.name, type: c.type, format: c.format, description: c.description, priority: c.priority) { obj in
                    cellValue(JSONPathLite.evaluate(c.jsonPath, on: obj), type: c.type)
                })
            }
            if !hasAge && r.printerColumns.isEmpty || !hasAge { cols.append(age) }
            return cols
        }
        func int(_ path: [String]) -> (JSONValue) -> JSONValue { { .int(Int64($0[path: path].intValue ?? 0)) } }
        switch r.type.kind {
        case "Deployment":
            return [
                name,
                Column(name: "Ready", type: "string") { .string("\($0["status"]["readyReplicas"].intValue ?? 0)/\($0["spec"]["replicas"].intValue ?? 0)") },
                Column(name: "Up-to-date", type: "integer", cell: int(["status", "updatedReplicas"])),
                Column(name: "Available", type: "integer", cell: int(["status", "availableReplicas"])),
                age,
            ]
        case "ReplicaSet":
            return [
                name, Column(name: "Desired", type: "integer", cell: int(["spec", "replicas"])),
                Column(name: "Current", type: "integer", cell: int(["status", "replicas"])),
                Column(name: "Ready", type: "integer", cell: int(["status", "readyReplicas"])), age,
            ]
        case "Pod":
            return [
                name,
                Column(name: "Ready", type: "string") { p in
                    let statuses = p["status"]["containerStatuses"].arrayValue ?? []
                    let total = p["spec"]["containers"].arrayValue?.count ?? 0
                    return .string("\(statuses.filter { $0["ready"].boolValue == true }.count)/\(total)")
                },
                Column(name: "Status", type: "string") { .string($0["status"]["phase"].stringValue ?? "Unknown") },
                Column(name: "Restarts", type: "string") { p in
                    .string(String((p["status"]["containerStatuses"].arrayValue ?? []).reduce(0) { $0 + ($1["restartCount"].intValue ?? 0) }))
                },
                age,
            ]
        case "Service":
            return [
                name, Column(name: "Type", type: "string") { .string($0["spec"]["type"].stringValue ?? "ClusterIP") },
                Column(name: "Cluster-IP", type: "string") { .string($0["spec"]["clusterIP"].stringValue ?? "<none>") },
                Column(name: "External-IP", type: "string") { _ in "<none>" },
                Column(name: "Port(s)", type: "string") { s in
                    let ports = (s["spec"]["ports"].arrayValue ?? []).map { "\($0["port"].intValue ?? 0)/\($0["protocol"].stringValue ?? "TCP")" }
                    return .string(ports.isEmpty ? "<none>" : ports.joined(separator: ","))
                },
                age,
            ]
        case "ConfigMap":
            return [name, Column(name: "Data", type: "integer") { .int(Int64(($0["data"].objectValue?.count ?? 0) + ($0["binaryData"].objectValue?.count ?? 0))) }, age]
        case "Secret":
            return [
                name, Column(name: "Type", type: "string") { .string($0["type"].stringValue ?? "Opaque") },
                Column(name: "Data", type: "integer") { .int(Int64($0["data"].objectValue?.count ?? 0)) }, age,
            ]
        case "Namespace":
            return [name, Column(name: "Status", type: "string") { .string($0["status"]["phase"].stringValue ?? "Active") }, age]
        case "Lease":
            return [name, Column(name: "Holder", type: "string") { .string($0["spec"]["holderIdentity"].stringValue ?? "") }, age]
        case "HorizontalPodAutoscaler":
            return [
                name,
                Column(name: "Reference", type: "string") { .string("\($0["spec"]["scaleTargetRef"]["kind"].stringValue ?? "")/\($0["spec"]["scaleTargetRef"]["name"].stringValue ?? "")") },
                Column(name: "MinPods", type: "integer") { .int(Int64($0["spec"]["minReplicas"].intValue ?? 1)) },
                Column(name: "MaxPods", type: "integer", cell: int(["spec", "maxReplicas"])),
                Column(name: "Replicas", type: "integer", cell: int(["status", "currentReplicas"])), age,
            ]
        case "Event" where !r.isEventsV1:
            return [
                Column(name: "Last Seen", type: "string") { e in
                    .string(humanAge(e["lastTimestamp"].stringValue ?? e["eventTime"].stringValue ?? e["metadata"]["creationTimestamp"].stringValue))
                },
                Column(name: "Type", type: "string") { .string($0["type"].stringValue ?? "") },
                Column(name: "Reason", type: "string") { .string($0["reason"].stringValue ?? "") },
                Column(name: "Object", type: "string") { e in
                    .string("\((e["involvedObject"]["kind"].stringValue ?? "").lowercased())/\(e["involvedObject"]["name"].stringValue ?? "")")
                },
                Column(name: "Message", type: "string") { .string($0["message"].stringValue ?? "") },
            ]
        case "CustomResourceDefinition":
            return [name, Column(name: "Created At", type: "date") { $0["metadata"]["creationTimestamp"] }]
        default:
            return [name, age]
        }
    }

    static func cellValue(_ results: [JSONValue], type: String) -> JSONValue {
        guard let first = results.first else { return .null }
        if results.count > 1 {
            return .string(results.map { $0.stringValue ?? $0.serialized() }.joined(separator: " "))
        }
        switch type {
        case "date": return .string(humanAge(first.stringValue))
        case "integer": return first.intValue.map { .int(Int64($0)) } ?? first
        case "number", "boolean": return first
        default:
            if let s = first.stringValue { return .string(s) }
            return .string(first.serialized())
        }
    }

    /// apimachinery's HumanDuration of the time since `timestamp`.
    static func humanAge(_ timestamp: String?) -> String {
        guard var ts = timestamp else { return "<unknown>" }
        // MicroTime (eventTime) carries fractional seconds; drop them.
        if let dot = ts.firstIndex(of: "."), let zone = ts.lastIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }), zone > dot {
            ts.removeSubrange(dot..<zone)
        }
        guard let date = try? Date(ts, strategy: .iso8601) else { return "<unknown>" }
        let seconds = Int(Date().timeIntervalSince(date))
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 { return seconds % 60 == 0 ? "\(minutes)m" : "\(minutes)m\(seconds % 60)s" }
        if minutes < 180 { return "\(minutes)m" }
        let hours = minutes / 60
        if hours < 8 { return minutes % 60 == 0 ? "\(hours)h" : "\(hours)h\(minutes % 60)m" }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 { return hours % 24 == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(hours % 24)h" }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        let years = hours / 24 / 365
        if hours < 24 * 365 * 8 { let d = (hours / 24) % 365; return d == 0 ? "\(years)y" : "\(years)y\(d)d" }
        return "\(years)y"
    }
}

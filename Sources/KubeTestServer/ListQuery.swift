import Foundation
import KubeCore

/// list: selectors, limit and continue tokens.
extension StoreState {
    static let builtinFieldLabels: [String: Set<String>] = [
        "Pod": ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.phase", "status.podIP"],
        "Event": [
            "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
            "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "type",
            "reportingComponent", "source",
        ],
        "Secret": ["type"],
        "Namespace": ["status.phase"],
        "ReplicaSet": ["status.replicas"],
    ]

    static func filter(_ r: ServedResource, labelSelector: String?, fieldSelector: String?) throws -> ObjectFilter {
        var f = ObjectFilter()
        if let l = labelSelector, !l.trimmingCharacters(in: .whitespaces).isEmpty {
            do { f.label = try LabelSelector(parsing: l) } catch {
                throw APIErrors.badRequest("unable to parse requirement: \(error)")
            }
        }
        if let fs = fieldSelector, !fs.trimmingCharacters(in: .whitespaces).isEmpty {
            for term in fs.split(separator: ",") {
                let t = String(term).trimmingCharacters(in: .whitespaces)
                let (key, equals, value): (String, Bool, String)
                if let range = t.range(of: "!=") {
                    (key, equals, value) = (String(t[..<range.lowerBound]), false, String(t[range.upperBound...]))
                } else if let range = t.range(of: "==") {
                    (key, equals, value) = (String(t[..<range.lowerBound]), true, String(t[range.upperBound...]))
                } else if let range = t.range(of: "=") {
                    (key, equals, value) = (String(t[..<range.lowerBound]), true, String(t[range.upperBound...]))
                } else {
                    throw APIErrors.badRequest("invalid selector: '\(fs)'; can't understand '\(t)'")
                }
                var k = key.trimmingCharacters(in: .whitespaces)
                if r.isEventsV1, k.hasPrefix("regarding.") { k = "involvedObject." + k.dropFirst("regarding.".count) }
                let allowed = ["metadata.name", "metadata.namespace"] + (r.isCustom ? [] : Array(builtinFieldLabels[r.type.kind] ?? []))
                guard allowed.contains(k) else {
                    if r.isCustom {
                        throw APIErrors.badRequest("\"\(k)\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
                    }
                    throw APIErrors.badRequest("field label not supported: \(k)")
                }
                f.fields.append(ObjectFilter.FieldTerm(path: k.split(separator: ".").map(String.init), equals: equals, value: value))
            }
        }
        return f
    }

    struct ListResult: Sendable {
        var items: [JSONValue]
        var resourceVersion: String
        var continueToken: String?
        var remainingItemCount: Int?
    }

    func list(_ r: ServedResource, namespace: String?, options: ListOptions) throws -> ListResult {
        let f = try Self.filter(r, labelSelector: options.labelSelector, fieldSelector: options.fieldSelector)
        var startAfter: (String, String)?
        if let token = options.continueToken, !token.isEmpty {
            guard let decoded = Self.decodeContinue(token) else { throw APIErrors.badRequest("continue key is not valid: \(token)") }
            startAfter = decoded
        }
        var matched: [JSONValue] = []
        var lastKey: (String, String)?
        var remaining = 0
        let limit = (options.limit ?? 0) > 0 ? options.limit! : Int.max
        for entry in sortedObjects(r.storageKey, namespace: r.type.namespaced ? namespace : nil) {
            if let s = startAfter, (entry.ns, entry.name) <= s { continue }
            guard f.matches(entry.object) else { continue }
            if matched.count < limit {
                matched.append(Self.presentListItem(entry.object, as: r))
                lastKey = (entry.ns, entry.name)
            } else {
                remaining += 1
            }
        }
        var result = ListResult(items: matched, resourceVersion: String(rv))
        if remaining > 0, let k = lastKey {
            result.continueToken = Self.encodeContinue(k, rv: rv)
            result.remainingItemCount = remaining
        }
        return result
    }

    /// Built-in list items carry no kind/apiVersion on the wire; custom resources do.
    static func presentListItem(_ obj: JSONValue, as r: ServedResource) -> JSONValue {
        var o = present(obj, as: r)
        if !r.isCustom {
            o["kind"] = .null
            o["apiVersion"] = .null
        }
        return o
    }

    static func encodeContinue(_ key: (String, String), rv: Int64) -> String {
        let start = key.0.isEmpty ? key.1 : "\(key.0)/\(key.1)"
        let json: JSONValue = ["v": "meta.k8s.io/v1", "rv": .int(rv), "start": .string(start + "\u{0}")]
        return Data(json.serializedBytes()).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decodeContinue(_ token: String) -> (String, String)? {
        var b64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let json = try? JSONValue(parsing: [UInt8](data)),
            var start = json["start"].stringValue
        else { return nil }
        if start.hasSuffix("\u{0}") { start.removeLast() }
        let parts = start.split(separator: "/", maxSplits: 1).map(String.init)
        return parts.count == 2 ? (parts[0], parts[1]) : ("", parts.first ?? "")
    }
}

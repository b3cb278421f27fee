/// Strategic merge patch (`application/strategic-merge-patch+json`) for built-in kinds,
/// following k8s.io/apimachinery/pkg/util/strategicpatch as kube-apiserver applies it
/// (parallel lists merged, unmatched nulls ignored):
///
/// - maps merge key by key; `null` deletes a key;
/// - lists whose API field declares `patchStrategy: merge` merge: lists of objects by their
///   `patchMergeKey` (containers by `name`, container ports by `containerPort`, Service ports
///   by `port`, volumeMounts by `mountPath`, conditions by `type`, ownerReferences by `uid`, …),
///   lists of scalars (finalizers) as a union; every other list is replaced (tolerations,
///   args, command, …);
/// - directives: `$patch: replace` / `$patch: delete` in a map (delete leaves `{}`, as kube
///   does) and in merge-list items; `$deleteFromPrimitiveList/<f>`; `$retainKeys`;
///   `$setElementOrder/<f>`, whose order IS applied (patch items in that order, server-only
///   items kept in their relative place).
///
/// Order of merged lists follows kube: items named by the patch keep the patch's order, items
/// only on the server keep theirs, and where the two interleave a patch item that is new goes
/// first (so an added container lands before existing ones, exactly as with a real cluster).
public enum StrategicMergePatch {
    public static func apply(_ patch: JSONValue, to target: JSONValue, kind: String) throws -> JSONValue {
        guard let schema = SMPSchema.forKind[kind] else {
            throw StrategicMergePatchError(
                "strategic merge patch is not supported for kind \(kind); use a JSON merge patch or a JSON patch")
        }
        guard let p = patch.objectValue else { throw StrategicMergePatchError("a strategic merge patch must be a JSON object") }
        let original = target.objectValue ?? [:]
        return .object(try mergeMap(original, p, schema))
    }

    /// Whether `apply` knows the patch strategies of `kind`.
    public static func supports(kind: String) -> Bool { SMPSchema.forKind[kind] != nil }

    static let directive = "$patch"
    static let retainKeys = "$retainKeys"
    static let deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/"
    static let setElementOrderPrefix = "$setElementOrder/"

    // MARK: - Maps

    static func mergeMap(_ original: [String: JSONValue], _ patchIn: [String: JSONValue], _ schema: SMPSchema?) throws
        -> [String: JSONValue]
    {
        var patch = patchIn
        if let d = patch[directive] {
            switch d.stringValue {
            case "replace":
                patch.removeValue(forKey: directive)
                return try fresh(patch, schema)
            case "delete":
                return [:]
            default:
                throw StrategicMergePatchError("unknown patch directive \(d.serialized()) in map \(JSONValue.object(patchIn).serialized())")
            }
        }
        var result = original

        if let rk = patch.removeValue(forKey: retainKeys) {
            guard let list = rk.arrayValue else { throw StrategicMergePatchError("$retainKeys must be a list of field names") }
            let keep = Set(list.compactMap(\.stringValue))
            for (k, v) in patch where !v.isNull && !k.hasPrefix("$") && !keep.contains(k) {
                throw StrategicMergePatchError("$retainKeys does not list '\(k)', which the patch sets")
            }
            for k in result.keys where !keep.contains(k) { result.removeValue(forKey: k) }
        }

        // Directives that refer to a sibling list are handled after the plain fields.
        var orderDirectives: [(field: String, order: [JSONValue])] = []
        var deleteLists: [(field: String, values: [JSONValue])] = []
        var originalLists: [String: [JSONValue]] = [:]
        for (k, v) in patch {
            if k.hasPrefix(setElementOrderPrefix) {
                guard let order = v.arrayValue else { throw StrategicMergePatchError("\(k) must be a list") }
                let field = String(k.dropFirst(setElementOrderPrefix.count))
                orderDirectives.append((field, order))
                if let l = original[field]?.arrayValue { originalLists[field] = l }
            } else if k.hasPrefix(deleteFromPrimitiveListPrefix) {
                guard let values = v.arrayValue else { throw StrategicMergePatchError("\(k) must be a list") }
                deleteLists.append((String(k.dropFirst(deleteFromPrimitiveListPrefix.count)), values))
            }
        }

        for (k, patchV) in patch where !k.hasPrefix("$") {
            let field = schema?.fields[k]
            if patchV.isNull {
                result.removeValue(forKey: k)
                continue
            }
            guard let origV = result[k] else {
                result[k] = try freshValue(patchV, field)
                continue
            }
            switch (origV, patchV) {
            case (.object(let o), .object(let p)):
                result[k] = .object(field?.replaceMap == true ? try fresh(p, field?.child) : try mergeMap(o, p, field?.child))
            case (.array(let o), .array(let p)):
                if let field, field.merge {
                    result[k] = .array(try mergeList(o, p, field, name: k))
                } else {
                    result[k] = try freshValue(patchV, field)
                }
            default:
                result[k] = try freshValue(patchV, field)
            }
        }

        for (field, values) in deleteLists {
            guard let list = result[field]?.arrayValue else { continue }
            result[field] = .array(list.filter { !values.contains($0) })
        }

        for (fieldName, order) in orderDirectives {
            guard let merged = result[fieldName]?.arrayValue else { continue }
            let key = schema?.fields[fieldName]?.mergeKey
            result[fieldName] = .array(
                try normalizeOrder(merged, patchOrder: order, serverOrder: originalLists[fieldName] ?? [], mergeKey: key))
        }
        return result
    }

    /// A patch value for a field the target does not have: directives are resolved against
    /// an empty original and `null`s dropped, since they have nothing to delete.
    static func freshValue(_ v: JSONValue, _ field: SMPSchema.Field?) throws -> JSONValue {
        switch v {
        case .object(let o): return .object(try mergeMap([:], o, field?.child))
        case .array(let a):
            let element = SMPSchema.Field(child: field?.child)
            if let field, field.merge, a.allSatisfy({ $0.objectValue != nil }) {
                // Directive items have nothing to act on in a new list; drop them.
                return .array(try a.filter { $0.objectValue?[directive] == nil }.map { try freshValue($0, element) })
            }
            return .array(try a.map { try freshValue($0, element) })
        default: return v
        }
    }

    static func fresh(_ o: [String: JSONValue], _ schema: SMPSchema?) throws -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (k, v) in o where !v.isNull && !k.hasPrefix("$") {
            out[k] = try freshValue(v, schema?.fields[k])
        }
        return out
    }

    // MARK: - Lists

    static func mergeList(_ original: [JSONValue], _ patch: [JSONValue], _ field: SMPSchema.Field, name: String) throws
        -> [JSONValue]
    {
        if original.isEmpty && patch.isEmpty { return original }
        let all = original + patch
        let objects = all.filter { $0.objectValue != nil }.count
        if all.contains(where: { $0.arrayValue != nil }) { throw StrategicMergePatchError("lists of lists cannot be merged (\(name))") }
        if objects != 0 && objects != all.count {
            throw StrategicMergePatchError("list element types are not identical in \(name)")
        }

        if objects == 0 {
            // Scalars: a union without duplicates.
            var merged: [JSONValue] = []
            for v in all where !merged.contains(v) { merged.append(v) }
            return try normalizeOrder(merged, patchOrder: patch, serverOrder: original, mergeKey: nil)
        }

        guard let key = field.mergeKey else { throw StrategicMergePatchError("cannot merge lists without merge key for \(name)") }
        var server = original
        var items: [JSONValue] = []
        var replace = false
        for item in patch {
            let o = item.objectValue!
            guard let d = o[directive] else { items.append(item); continue }
            switch d.stringValue {
            case "delete":
                guard let kv = o[key] else { throw noMergeKey(item, key) }
                server.removeAll { $0.objectValue?[key] == kv }
            case "replace":
                replace = true
            case "merge":
                throw StrategicMergePatchError("merging lists cannot yet be specified in the patch")
            default:
                throw StrategicMergePatchError("unknown patch directive \(d.serialized()) in \(item.serialized())")
            }
        }
        if replace {
            // The list becomes exactly the patch's other items.
            return try items.map { JSONValue.object(try fresh($0.objectValue!, field.child)) }
        }
        let serverOrder = server
        var merged = server
        for item in items {
            let o = item.objectValue!
            guard let kv = o[key] else { throw noMergeKey(item, key) }
            if let i = merged.firstIndex(where: { $0.objectValue?[key] == kv }) {
                merged[i] = .object(try mergeMap(merged[i].objectValue ?? [:], o, field.child))
            } else {
                merged.append(.object(try mergeMap([:], o, field.child)))
            }
        }
        return try normalizeOrder(merged, patchOrder: items, serverOrder: serverOrder, mergeKey: key)
    }

    static func noMergeKey(_ item: JSONValue, _ key: String) -> StrategicMergePatchError {
        StrategicMergePatchError("map: \(item.serialized()) does not contain declared merge key: \(key)")
    }

    /// Items present in `patchOrder` come in that order, the others in `serverOrder`'s, and the
    /// two runs are interleaved by their place on the server (a new patch item goes first).
    static func normalizeOrder(_ merged: [JSONValue], patchOrder: [JSONValue], serverOrder: [JSONValue], mergeKey: String?)
        throws -> [JSONValue]
    {
        func identity(_ v: JSONValue) -> JSONValue {
            guard let key = mergeKey else { return v }
            return v.objectValue?[key] ?? .null
        }
        let patchIDs = patchOrder.map(identity)
        let serverIDs = serverOrder.map(identity)
        func position(_ v: JSONValue, in ids: [JSONValue]) -> Int? { ids.firstIndex(of: identity(v)) }

        var fromPatch: [JSONValue] = []
        var serverOnly: [JSONValue] = []
        for v in merged {
            if position(v, in: patchIDs) != nil { fromPatch.append(v) } else { serverOnly.append(v) }
        }
        func sorted(_ list: [JSONValue], by ids: [JSONValue]) -> [JSONValue] {
            list.enumerated().sorted { a, b in
                let pa = position(a.element, in: ids) ?? Int.max
                let pb = position(b.element, in: ids) ?? Int.max
                return pa != pb ? pa < pb : a.offset < b.offset
            }.map(\.element)
        }
        let left = sorted(serverOnly, by: serverIDs)
        let right = sorted(fromPatch, by: patchIDs)
        var out: [JSONValue] = []
        out.reserveCapacity(merged.count)
        var i = 0
        var j = 0
        while i < left.count || j < right.count {
            if i >= left.count {
                out.append(right[j]); j += 1
            } else if j >= right.count {
                out.append(left[i]); i += 1
            } else if let li = position(left[i], in: serverIDs), let ri = position(right[j], in: serverIDs), li < ri {
                out.append(left[i]); i += 1
            } else {
                out.append(right[j]); j += 1
            }
        }
        return out
    }
}

public struct StrategicMergePatchError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

// MARK: - Patch metadata of the built-in types

/// The `patchStrategy` / `patchMergeKey` tags of the Kubernetes API types, for the fields
/// that have them. A field not listed here behaves as untagged: maps merge, lists replace.
final class SMPSchema: Sendable {
    struct Field: Sendable {
        /// `patchStrategy: merge` on a list.
        var merge = false
        /// `patchMergeKey` for lists of objects.
        var mergeKey: String?
        /// `patchStrategy: replace` on a map.
        var replaceMap = false
        var child: SMPSchema?
    }

    let fields: [String: Field]
    init(_ fields: [String: Field]) { self.fields = fields }

    static func list(_ key: String?, _ child: SMPSchema? = nil) -> Field { Field(merge: true, mergeKey: key, child: child) }
    static func object(_ child: SMPSchema) -> Field { Field(child: child) }

    static let conditions = list("type")

    static let objectMeta = SMPSchema([
        "finalizers": list(nil),
        "ownerReferences": list("uid"),
    ])

    static let container = SMPSchema([
        "ports": list("containerPort"),
        "env": list("name"),
        "volumeMounts": list("mountPath"),
        "volumeDevices": list("devicePath"),
    ])

    static let podSpec = SMPSchema([
        "volumes": list("name"),
        "initContainers": list("name", container),
        "containers": list("name", container),
        "ephemeralContainers": list("name", container),
        "imagePullSecrets": list("name"),
        "hostAliases": list("ip"),
        "topologySpreadConstraints": list("topologyKey"),
        "resourceClaims": list("name"),
        "schedulingGates": list("name"),
    ])

    static let podStatus = SMPSchema([
        "conditions": conditions,
        "podIPs": list("ip"),
        "hostIPs": list("ip"),
    ])

    static let podTemplateSpec = SMPSchema(["metadata": object(objectMeta), "spec": object(podSpec)])

    static let statusWithConditions = SMPSchema(["conditions": conditions])

    /// A kind with ObjectMeta and the given spec and status shapes.
    static func kind(spec: SMPSchema? = nil, status: SMPSchema? = nil, extra: [String: Field] = [:]) -> SMPSchema {
        var f: [String: Field] = ["metadata": object(objectMeta)]
        if let spec { f["spec"] = object(spec) }
        if let status { f["status"] = object(status) }
        for (k, v) in extra { f[k] = v }
        return SMPSchema(f)
    }

    static let workloadSpec = SMPSchema(["template": object(podTemplateSpec)])
    static let jobTemplateSpec = SMPSchema(["metadata": object(objectMeta), "spec": object(workloadSpec)])

    static let forKind: [String: SMPSchema] = [
        "Pod": kind(spec: podSpec, status: podStatus),
        "PodTemplate": kind(extra: ["template": object(podTemplateSpec)]),
        "ReplicationController": kind(spec: workloadSpec, status: statusWithConditions),
        "Deployment": kind(spec: workloadSpec, status: statusWithConditions),
        "ReplicaSet": kind(spec: workloadSpec, status: statusWithConditions),
        "StatefulSet": kind(spec: workloadSpec, status: statusWithConditions),
        "DaemonSet": kind(spec: workloadSpec, status: statusWithConditions),
        "Job": kind(spec: workloadSpec, status: statusWithConditions),
        "CronJob": kind(spec: SMPSchema(["jobTemplate": object(jobTemplateSpec)])),
        "Service": kind(spec: SMPSchema(["ports": list("port")]), status: statusWithConditions),
        "Namespace": kind(status: statusWithConditions),
        "Node": kind(
            spec: SMPSchema(["podCIDRs": list(nil)]),
            status: SMPSchema(["conditions": conditions, "addresses": list("type")])),
        "PersistentVolumeClaim": kind(status: statusWithConditions),
        "PersistentVolume": kind(),
        "ServiceAccount": kind(extra: ["secrets": list("name")]),
        "ConfigMap": kind(),
        "Secret": kind(),
        "Event": kind(),
        "Endpoints": kind(),
        "LimitRange": kind(),
        "ResourceQuota": kind(),
        "HorizontalPodAutoscaler": kind(status: statusWithConditions),
        "PodDisruptionBudget": kind(status: statusWithConditions),
        "Lease": kind(),
        "Ingress": kind(),
        "IngressClass": kind(),
        "NetworkPolicy": kind(),
        "CustomResourceDefinition": kind(),
        "Role": kind(), "RoleBinding": kind(), "ClusterRole": kind(), "ClusterRoleBinding": kind(),
        "PriorityClass": kind(), "StorageClass": kind(),
    ]
}

import Foundation
import KubeCore
import KubeSchema

/// create / update / patch, with kube-apiserver's metadata rules.
extension StoreState {
    func namespaceFor(_ r: ServedResource, url: String?, body: JSONValue) throws -> String {
        guard r.type.namespaced else { return "" }
        let bodyNS = body.namespace ?? ""
        if let u = url, !u.isEmpty {
            if !bodyNS.isEmpty, bodyNS != u {
                throw APIErrors.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            return u
        }
        return bodyNS.isEmpty ? "default" : bodyNS
    }

    mutating func create(_ r: ServedResource, namespace: String?, _ body: JSONValue, dryRun: Bool) throws -> JSONValue {
        guard body.objectValue != nil else { throw APIErrors.badRequest("the body of the request must be a JSON object") }
        var obj = r.isEventsV1 ? EventConversion.toCore(body) : body
        let ns = try namespaceFor(r, url: namespace, body: body)
        if r.type.namespaced {
            obj["metadata"]["namespace"] = .string(ns)
            if !namespaceExists(ns) { throw APIErrors.namespaceNotFound(ns) }
            if objects[ServedResource.namespaceKey]?[""]?[ns]?.deletionTimestamp != nil {
                throw KubeAPIError.forbidden(APIStatus(
                    code: 403, reason: "Forbidden",
                    message: "\(r.groupResource) \"\(obj.name ?? "")\" is forbidden: unable to create new content in namespace \(ns) because it is being terminated",
                    details: APIErrors.details(r, name: obj.name ?? "")))
            }
        } else {
            obj["metadata"]["namespace"] = .null
        }
        if let rv = obj.resourceVersion, !rv.isEmpty {
            throw APIErrors.internalError("resourceVersion should not be set on objects to be created")
        }
        var name = obj.name ?? ""
        if name.isEmpty, let prefix = obj["metadata"]["generateName"].stringValue, !prefix.isEmpty {
            name = Self.generateName(prefix)
            obj["metadata"]["name"] = .string(name)
        }
        if name.isEmpty {
            throw APIErrors.invalid(r, "", [APIErrors.required("metadata.name", "name or generateName is required")])
        }
        obj["apiVersion"] = .string(r.type.apiVersion)
        obj["kind"] = .string(r.type.kind)
        for k in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
            obj["metadata"][k] = .null
        }
        obj["metadata"]["uid"] = .string(NewUID.make())
        obj["metadata"]["creationTimestamp"] = .string(Self.now())
        obj["metadata"]["generation"] = 1
        if r.hasStatus { obj["status"] = .null }
        BuiltinDefaults.apply(r, &obj, isCreate: true)
        if r.isCustom {
            CRDPruning.apply(schema: r.schema, to: &obj)
            CRDDefaulting.apply(schema: r.schema, to: &obj)
        }
        try Validation.validate(r, obj, old: nil)
        let ref = ObjectRef(storageKey: r.storageKey, namespace: ns, name: name)
        if lookup(ref) != nil { throw APIErrors.alreadyExists(r, name) }
        if r.isCustom, let crd = crdRef(servingStorageKey: r.storageKey), lookup(crd)?.deletionTimestamp != nil {
            throw KubeAPIError.methodNotAllowed(APIStatus(
                code: 405, reason: "MethodNotAllowed", message: "create not allowed while custom resource definition is terminating"))
        }
        if dryRun { return Self.present(obj, as: r) }
        let stored = commit(.added, ref, obj, old: nil)
        afterCreate(r, stored)
        return Self.present(lookup(ref) ?? stored, as: r)
    }

    mutating func update(
        _ r: ServedResource, namespace: String?, name: String, _ body: JSONValue, subresource: String?, dryRun: Bool
    ) throws -> JSONValue {
        guard body.objectValue != nil else { throw APIErrors.badRequest("the body of the request must be a JSON object") }
        let ns = try namespaceFor(r, url: namespace, body: body)
        let ref = ObjectRef(storageKey: r.storageKey, namespace: ns, name: name)
        guard let existing = lookup(ref) else { throw APIErrors.notFound(r, name) }
        if let bodyName = body.name, !bodyName.isEmpty, bodyName != name {
            throw APIErrors.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        if let rv = body.resourceVersion, !rv.isEmpty, rv != existing.resourceVersion {
            throw APIErrors.staleConflict(r, name)
        }
        var new: JSONValue
        switch subresource {
        case nil:
            new = r.isEventsV1 ? EventConversion.toCore(body) : body
            if r.hasStatus { new["status"] = existing["status"] }
        case "status" where r.hasStatus:
            new = existing
            new["status"] = body["status"]
        case "scale" where r.scale != nil:
            guard let replicas = body["spec"]["replicas"].intValue else {
                throw APIErrors.invalid(r, name, [APIErrors.required("spec.replicas", "replicas is required")])
            }
            if replicas < 0 {
                throw APIErrors.invalid(r, name, [APIErrors.invalidValue("spec.replicas", String(replicas), "must be greater than or equal to 0")])
            }
            new = existing
            new[path: r.scale!.specReplicas] = .int(Int64(replicas))
            let stored = try write(r, ref, existing: existing, new: new, dryRun: dryRun)
            return ScaleView.make(r, stored)
        default:
            throw APIErrors.notFound(r, name)
        }
        return try write(r, ref, existing: existing, new: new, dryRun: dryRun)
    }

    mutating func patch(
        _ r: ServedResource, namespace: String?, name: String, type: PatchType, _ patch: JSONValue, subresource: String?,
        dryRun: Bool, inspect: ((JSONValue) throws -> Void)? = nil
    ) throws -> JSONValue {
        let ns = r.type.namespaced ? (namespace ?? "default") : ""
        let ref = ObjectRef(storageKey: r.storageKey, namespace: ns, name: name)
        guard let existing = lookup(ref) else { throw APIErrors.notFound(r, name) }
        let base = subresource == "scale" && r.scale != nil ? ScaleView.make(r, existing) : Self.present(existing, as: r)
        var patched: JSONValue
        switch type {
        case .merge:
            guard patch.objectValue != nil else { throw APIErrors.badRequest("a merge patch must be a JSON object") }
            patched = JSONMergePatch.apply(patch, to: base)
        case .json:
            guard patch.arrayValue != nil else { throw APIErrors.badRequest("json patch must be a JSON array of operations") }
            do { patched = try JSONPatch.apply(patch, to: base) } catch {
                throw KubeAPIError.invalid(APIStatus(code: 422, reason: "Invalid", message: "\(error)"))
            }
        case .strategicMerge:
            if r.isCustom || subresource == "scale" {
                throw APIErrors.unsupportedMediaType(
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
            }
            guard patch.objectValue != nil else { throw APIErrors.badRequest("a strategic merge patch must be a JSON object") }
            do { patched = try StrategicMergePatch.apply(patch, to: base, kind: r.type.kind) } catch {
                throw KubeAPIError.invalid(APIStatus(code: 422, reason: "Invalid", message: "\(error)"))
            }
        }
        if patched.name == nil { patched["metadata"]["name"] = .string(name) }
        try inspect?(patched)
        return try update(r, namespace: ns, name: name, patched, subresource: subresource, dryRun: dryRun)
    }

    /// The common tail of every update: immutable metadata kept, defaults, validation,
    /// generation, no-op detection, finalizer-driven removal.
    mutating func write(_ r: ServedResource, _ ref: ObjectRef, existing: JSONValue, new body: JSONValue, dryRun: Bool) throws
        -> JSONValue
    {
        var new = body
        new["apiVersion"] = existing["apiVersion"]
        new["kind"] = .string(r.type.kind)
        for k in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "resourceVersion", "name", "namespace"] {
            new["metadata"][k] = existing["metadata"][k]
        }
        BuiltinDefaults.apply(r, &new, isCreate: false)
        if r.isCustom {
            CRDPruning.apply(schema: r.schema, to: &new)
            CRDDefaulting.apply(schema: r.schema, to: &new)
        }
        try Validation.validate(r, new, old: existing)
        if existing.deletionTimestamp != nil {
            let added = Set(new.finalizers).subtracting(existing.finalizers)
            if !added.isEmpty {
                throw APIErrors.invalid(r, ref.name, [APIStatus.Cause(type: "FieldValueForbidden", message: "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers \(added.sorted())", field: "metadata.finalizers")])
            }
        }
        if Self.specPart(new) != Self.specPart(existing) {
            new["metadata"]["generation"] = .int(Int64((existing.generation ?? 0) + 1))
        }
        if new == existing { return Self.present(existing, as: r) }
        if dryRun { return Self.present(new, as: r) }
        if existing.deletionTimestamp != nil, new.finalizers.isEmpty {
            new["metadata"]["finalizers"] = .null
            let gone = removeNow(ref, new)
            return Self.present(gone, as: r)
        }
        let stored = commit(.modified, ref, new, old: existing)
        afterUpdate(r, stored)
        return Self.present(stored, as: r)
    }

    /// Everything outside metadata and status: what bumps generation.
    static func specPart(_ o: JSONValue) -> JSONValue {
        var v = o
        v["metadata"] = .null
        v["status"] = .null
        v["apiVersion"] = .null
        v["kind"] = .null
        return v
    }

    static func generateName(_ prefix: String) -> String {
        // kube-apiserver's alphabet: no vowels, no confusable characters.
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return prefix + String((0..<5).map { _ in alphabet.randomElement()! })
    }
}

enum NewUID {
    static func make() -> String { UUID().uuidString.lowercased() }
}

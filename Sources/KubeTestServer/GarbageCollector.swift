import KubeCore

/// Deletion: finalizers, propagation policies and owner-reference garbage collection, done
/// synchronously under the store lock (owner first, then its dependents).
extension StoreState {
    mutating func delete(_ r: ServedResource, namespace: String?, name: String, options: DeleteOptions, dryRun: Bool) throws
        -> JSONValue
    {
        let ns = r.type.namespaced ? (namespace ?? "default") : ""
        let ref = ObjectRef(storageKey: r.storageKey, namespace: ns, name: name)
        guard let existing = lookup(ref) else { throw APIErrors.notFound(r, name) }
        if let uid = options.preconditionUID, uid != existing.uid {
            throw APIErrors.conflict(r, name, "Precondition failed: UID in precondition: \(uid), UID in object meta: \(existing.uid ?? "")")
        }
        if let rv = options.preconditionResourceVersion, rv != existing.resourceVersion {
            throw APIErrors.conflict(
                r, name, "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(existing.resourceVersion ?? "")")
        }
        if dryRun { return Self.present(existing, as: r) }
        let result = deleteObject(ref, policy: options.propagationPolicy ?? .background)
        if lookup(ref) == nil, r.type.kind != "Pod" {
            // Like kube-apiserver's generic registry (ReturnDeletedObject false, pods aside):
            // an immediate delete answers with a Success Status; a pending one with the object.
            var details: JSONValue = ["name": .string(name), "kind": .string(r.type.plural), "uid": existing["metadata"]["uid"]]
            if !r.type.group.isEmpty { details["group"] = .string(r.type.group) }
            return ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "details": details]
        }
        return Self.present(result ?? existing, as: r)
    }

    /// Deletes (or marks for deletion) one object; returns its last state.
    @discardableResult
    mutating func deleteObject(_ ref: ObjectRef, policy: DeleteOptions.PropagationPolicy) -> JSONValue? {
        guard var obj = lookup(ref) else { return nil }
        let uid = obj.uid ?? ""
        if obj.deletionTimestamp != nil { return obj }
        if policy == .orphan { orphanDependents(of: uid) }
        var finalizers = obj.finalizers
        let hasDependents = !(dependents[uid]?.isEmpty ?? true)
        if policy == .foreground, hasDependents, !finalizers.contains("foregroundDeletion") {
            finalizers.append("foregroundDeletion")
        }
        if ref.storageKey == ServedResource.crdKey { return terminateCRD(ref, obj, finalizers: finalizers) }
        if ref.storageKey == ServedResource.namespaceKey, !namespaceIsEmpty(ref.name) {
            return terminateNamespace(ref, obj, finalizers: finalizers)
        }
        if finalizers.isEmpty { return removeNow(ref, obj) }
        let old = obj
        obj["metadata"]["deletionTimestamp"] = .string(Self.now())
        obj["metadata"]["deletionGracePeriodSeconds"] = 0
        obj["metadata"]["finalizers"] = .array(finalizers.map(JSONValue.string))
        let marked = commit(.modified, ref, obj, old: old)
        if finalizers.contains("foregroundDeletion") {
            for dep in dependents[uid] ?? [] {
                guard let d = lookup(dep) else { continue }
                let blocking = d.ownerReferences.contains { $0["uid"].stringValue == uid && $0["blockOwnerDeletion"].boolValue == true }
                deleteObject(dep, policy: blocking ? .foreground : .background)
            }
            finishForegroundDeletion(uid)
        }
        return lookup(ref) ?? marked
    }

    /// Removes the object for good and lets the collector act on what depended on it.
    @discardableResult
    mutating func removeNow(_ ref: ObjectRef, _ obj: JSONValue) -> JSONValue {
        let gone = commit(.deleted, ref, obj, old: obj)
        if ref.storageKey == ServedResource.namespaceKey { deleteNamespaceContents(ref.name) }
        if ref.storageKey == ServedResource.crdKey { unregisterCRD(obj) }
        if let uid = obj.uid { collectDependents(ofRemoved: uid) }
        for owner in obj.ownerReferences {
            if let u = owner["uid"].stringValue { finishForegroundDeletion(u) }
        }
        if !ref.namespace.isEmpty { finishNamespaceTermination(ref.namespace) }
        if let crd = crdRef(servingStorageKey: ref.storageKey) { finishCRDCleanup(crd) }
        return gone
    }

    func namespaceIsEmpty(_ ns: String) -> Bool {
        !objects.contains { key, byNS in key != ServedResource.namespaceKey && !(byNS[ns]?.isEmpty ?? true) }
    }

    /// Like kube's namespace lifecycle: the namespace shows `Terminating` while its content is
    /// deleted (content held by finalizers keeps it there), then it goes.
    mutating func terminateNamespace(_ ref: ObjectRef, _ obj: JSONValue, finalizers: [String]) -> JSONValue {
        var marked = obj
        marked["metadata"]["deletionTimestamp"] = .string(Self.now())
        marked["metadata"]["deletionGracePeriodSeconds"] = 0
        marked["status"]["phase"] = "Terminating"
        commit(.modified, ref, marked, old: obj)
        deleteNamespaceContents(ref.name)
        return lookup(ref) ?? marked
    }

    mutating func finishNamespaceTermination(_ ns: String) {
        let ref = ObjectRef(storageKey: ServedResource.namespaceKey, namespace: "", name: ns)
        guard let obj = lookup(ref), obj.deletionTimestamp != nil, obj.finalizers.isEmpty, namespaceIsEmpty(ns) else { return }
        removeNow(ref, obj)
    }

    /// Background collection: dependents with no owner left are deleted; dependents that still
    /// have another owner lose the dangling reference.
    mutating func collectDependents(ofRemoved uid: String) {
        for dep in dependents[uid] ?? [] {
            guard var d = lookup(dep) else { continue }
            let live = d.ownerReferences.filter { ($0["uid"].stringValue).map { uidIndex[$0] != nil } ?? false }
            if live.isEmpty {
                deleteObject(dep, policy: .background)
            } else {
                let old = d
                d["metadata"]["ownerReferences"] = .array(live)
                commit(.modified, dep, d, old: old)
            }
        }
    }

    mutating func orphanDependents(of uid: String) {
        for dep in dependents[uid] ?? [] {
            guard var d = lookup(dep) else { continue }
            let old = d
            let kept = d.ownerReferences.filter { $0["uid"].stringValue != uid }
            d["metadata"]["ownerReferences"] = kept.isEmpty ? .null : .array(kept)
            commit(.modified, dep, d, old: old)
        }
    }

    /// An owner in foreground deletion goes once its dependents are gone.
    mutating func finishForegroundDeletion(_ ownerUID: String) {
        guard let ref = uidIndex[ownerUID], var owner = lookup(ref), owner.finalizers.contains("foregroundDeletion") else { return }
        if !(dependents[ownerUID]?.isEmpty ?? true) { return }
        let old = owner
        let rest = owner.finalizers.filter { $0 != "foregroundDeletion" }
        owner["metadata"]["finalizers"] = rest.isEmpty ? .null : .array(rest.map(JSONValue.string))
        if rest.isEmpty {
            removeNow(ref, owner)
        } else {
            commit(.modified, ref, owner, old: old)
        }
    }

    /// kube-apiserver's namespace controller, compressed: everything in it is deleted.
    mutating func deleteNamespaceContents(_ ns: String) {
        for key in objects.keys where key != ServedResource.namespaceKey {
            for name in (objects[key]?[ns]?.keys).map(Array.init) ?? [] {
                deleteObject(ObjectRef(storageKey: key, namespace: ns, name: name), policy: .background)
            }
        }
    }

    mutating func deleteCollection(_ r: ServedResource, namespace: String?, filter: ObjectFilter, options: DeleteOptions, dryRun: Bool)
        -> [JSONValue]
    {
        var out: [JSONValue] = []
        for entry in sortedObjects(r.storageKey, namespace: r.type.namespaced ? namespace : nil) where filter.matches(entry.object) {
            if dryRun {
                out.append(entry.object)
                continue
            }
            let ref = ObjectRef(storageKey: r.storageKey, namespace: entry.ns, name: entry.name)
            if let last = deleteObject(ref, policy: options.propagationPolicy ?? .background) { out.append(Self.present(last, as: r)) }
        }
        return out
    }
}

extension ServedResource {
    static let namespaceKey = "/namespaces"
    static let crdKey = "apiextensions.k8s.io/customresourcedefinitions"
}

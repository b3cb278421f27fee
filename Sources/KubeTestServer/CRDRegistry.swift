import KubeCore

/// CustomResourceDefinitions becoming served resources, and their status.
extension StoreState {
    mutating func afterCreate(_ r: ServedResource, _ obj: JSONValue) {
        if r.storageKey == ServedResource.crdKey { establishCRD(obj) }
    }

    mutating func afterUpdate(_ r: ServedResource, _ obj: JSONValue) {
        if r.storageKey == ServedResource.crdKey, obj.deletionTimestamp == nil { establishCRD(obj) }
    }

    /// Serves the CRD's versions and reports acceptedNames and Established in its status.
    mutating func establishCRD(_ crd: JSONValue) {
        let resources = Self.servedResources(of: crd)
        let group = crd["spec"]["group"].stringValue ?? ""
        let plural = crd["spec"]["names"]["plural"].stringValue ?? ""
        served = served.filter { !($0.value.isCustom && $0.value.type.group == group && $0.value.type.plural == plural) }
        for r in resources { served[Self.servedKey(r.type.group, r.type.version, r.type.plural)] = r }

        var names = crd["spec"]["names"]
        if names["singular"].stringValue == nil { names["singular"] = .string((names["kind"].stringValue ?? "").lowercased()) }
        if names["listKind"].stringValue == nil { names["listKind"] = .string((names["kind"].stringValue ?? "") + "List") }
        let now = Self.now()
        func condition(_ type: String, _ reason: String, _ message: String, previous: JSONValue) -> JSONValue {
            let old = (previous["status"]["conditions"].arrayValue ?? []).first { $0["type"].stringValue == type }
            let since = old?["status"].stringValue == "True" ? (old?["lastTransitionTime"] ?? .string(now)) : .string(now)
            return ["type": .string(type), "status": "True", "reason": .string(reason), "message": .string(message), "lastTransitionTime": since]
        }
        var status = crd["status"].objectValue == nil ? JSONValue.object([:]) : crd["status"]
        status["acceptedNames"] = names
        status["conditions"] = [
            condition("NamesAccepted", "NoConflicts", "no conflicts found", previous: crd),
            condition("Established", "InitialNamesAccepted", "the initial names have been accepted", previous: crd),
        ]
        status["storedVersions"] = .array(
            (crd["spec"]["versions"].arrayValue ?? []).filter { $0["storage"].boolValue == true }.compactMap { $0["name"] })
        guard status != crd["status"] else { return }
        var updated = crd
        updated["status"] = status
        let ref = ObjectRef(storageKey: ServedResource.crdKey, namespace: "", name: crd.name ?? "")
        commit(.modified, ref, updated, old: crd)
    }

    static let cleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io"

    static func storageKey(ofCRD crd: JSONValue) -> String {
        "\(crd["spec"]["group"].stringValue ?? "")/\(crd["spec"]["names"]["plural"].stringValue ?? "")"
    }

    func crdRef(servingStorageKey key: String) -> ObjectRef? {
        guard key != ServedResource.crdKey, let crds = objects[ServedResource.crdKey]?[""] else { return nil }
        for (name, crd) in crds where Self.storageKey(ofCRD: crd) == key {
            return ObjectRef(storageKey: ServedResource.crdKey, namespace: "", name: name)
        }
        return nil
    }

    /// Like apiextensions-apiserver: deleting a CRD adds the cleanup finalizer, marks it
    /// Terminating, deletes its custom resources (their finalizers hold it), then removes it.
    mutating func terminateCRD(_ ref: ObjectRef, _ obj: JSONValue, finalizers: [String]) -> JSONValue {
        var marked = obj
        var fins = finalizers
        if !fins.contains(Self.cleanupFinalizer) { fins.append(Self.cleanupFinalizer) }
        marked["metadata"]["finalizers"] = .array(fins.map(JSONValue.string))
        marked["metadata"]["deletionTimestamp"] = .string(Self.now())
        marked["metadata"]["deletionGracePeriodSeconds"] = 0
        var conditions = (marked["status"]["conditions"].arrayValue ?? []).filter { $0["type"] != "Terminating" }
        conditions.append([
            "type": "Terminating", "status": "True", "reason": "InstanceDeletionInProgress",
            "message": "CustomResource deletion is in progress", "lastTransitionTime": .string(Self.now()),
        ])
        marked["status"]["conditions"] = .array(conditions)
        commit(.modified, ref, marked, old: obj)
        let key = Self.storageKey(ofCRD: obj)
        for entry in sortedObjects(key, namespace: nil) {
            deleteObject(ObjectRef(storageKey: key, namespace: entry.ns, name: entry.name), policy: .background)
        }
        finishCRDCleanup(ref)
        return lookup(ref) ?? marked
    }

    mutating func finishCRDCleanup(_ ref: ObjectRef) {
        guard var crd = lookup(ref), crd.deletionTimestamp != nil, crd.finalizers.contains(Self.cleanupFinalizer) else { return }
        guard sortedObjects(Self.storageKey(ofCRD: crd), namespace: nil).isEmpty else { return }
        let old = crd
        let rest = crd.finalizers.filter { $0 != Self.cleanupFinalizer }
        crd["metadata"]["finalizers"] = rest.isEmpty ? .null : .array(rest.map(JSONValue.string))
        if rest.isEmpty { removeNow(ref, crd) } else { commit(.modified, ref, crd, old: old) }
    }

    mutating func unregisterCRD(_ crd: JSONValue) {
        let group = crd["spec"]["group"].stringValue ?? ""
        let plural = crd["spec"]["names"]["plural"].stringValue ?? ""
        served = served.filter { !($0.value.isCustom && $0.value.type.group == group && $0.value.type.plural == plural) }
        let key = "\(group)/\(plural)"
        for entry in sortedObjects(key, namespace: nil) {
            let ref = ObjectRef(storageKey: key, namespace: entry.ns, name: entry.name)
            if let obj = lookup(ref) { commit(.deleted, ref, obj, old: obj) }
        }
        closeWatches(storageKey: key)
    }

    static func servedResources(of crd: JSONValue) -> [ServedResource] {
        let spec = crd["spec"]
        let names = spec["names"]
        let group = spec["group"].stringValue ?? ""
        let plural = names["plural"].stringValue ?? ""
        let kind = names["kind"].stringValue ?? ""
        let namespaced = spec["scope"].stringValue != "Cluster"
        var out: [ServedResource] = []
        for v in spec["versions"].arrayValue ?? [] where v["served"].boolValue != false {
            guard let version = v["name"].stringValue else { continue }
            var r = ServedResource(
                type: ResourceType(group: group, version: version, plural: plural, kind: kind, namespaced: namespaced),
                singular: names["singular"].stringValue ?? kind.lowercased())
            r.isCustom = true
            r.shortNames = (names["shortNames"].arrayValue ?? []).compactMap(\.stringValue)
            r.categories = (names["categories"].arrayValue ?? []).compactMap(\.stringValue)
            r.hasStatus = v["subresources"]["status"].objectValue != nil
            let scale = v["subresources"]["scale"]
            if scale.objectValue != nil {
                r.scale = ScalePaths(
                    specReplicas: Self.fieldPath(scale["specReplicasPath"].stringValue ?? ".spec.replicas"),
                    statusReplicas: Self.fieldPath(scale["statusReplicasPath"].stringValue ?? ".status.replicas"),
                    labelSelector: scale["labelSelectorPath"].stringValue.map(Self.fieldPath))
            }
            r.printerColumns = (v["additionalPrinterColumns"].arrayValue ?? []).map {
                PrinterColumn(
                    name: $0["name"].stringValue ?? "", type: $0["type"].stringValue ?? "string",
                    jsonPath: $0["jsonPath"].stringValue ?? "", description: $0["description"].stringValue ?? "",
                    priority: $0["priority"].intValue ?? 0, format: $0["format"].stringValue ?? "")
            }
            r.schema = v["schema"]["openAPIV3Schema"]
            out.append(r)
        }
        return out
    }

    /// `.spec.replicas` → ["spec", "replicas"].
    static func fieldPath(_ s: String) -> [String] { s.split(separator: ".").map(String.init) }
}

import KubeCore
import KubeSchema

/// The validation kube-apiserver does that clients most often trip over.
enum Validation {
    static func validate(_ r: ServedResource, _ obj: JSONValue, old: JSONValue?) throws {
        let name = obj.name ?? ""
        var causes: [APIStatus.Cause] = []
        if old == nil {
            let problems = r.type.kind == "Namespace" ? KubeNames.dns1123LabelErrors(name) : KubeNames.dns1123SubdomainErrors(name)
            for p in problems { causes.append(APIErrors.invalidValue("metadata.name", name, p)) }
        }
        for (key, value) in obj.labels.sorted(by: { $0.key < $1.key }) {
            for p in KubeNames.qualifiedNameErrors(key) { causes.append(APIErrors.invalidValue("metadata.labels", key, p)) }
            for p in KubeNames.labelValueErrors(value) { causes.append(APIErrors.invalidValue("metadata.labels", value, p)) }
        }
        causes += ObjectMetaLimits.causes(obj)
        if r.isCustom {
            causes += CRDValidation.causes(schema: r.schema, object: obj)
            causes += CELValidation.causes(schema: r.schema, object: obj, old: old)
        }
        if !r.isCustom {
            switch r.type.kind {
            case "Deployment", "ReplicaSet": causes += workloadCauses(obj, old: old)
            case "CustomResourceDefinition": causes += crdCauses(obj)
            default: break
            }
        }
        if !causes.isEmpty { throw APIErrors.invalid(r, name, causes) }
    }

    static func workloadCauses(_ obj: JSONValue, old: JSONValue?) -> [APIStatus.Cause] {
        let selector = obj["spec"]["selector"]
        guard selector.objectValue != nil else { return [APIErrors.required("spec.selector", "")] }
        var causes: [APIStatus.Cause] = []
        let templateLabels = obj["spec"]["template"]["metadata"]["labels"]
        let labels = Dictionary(uniqueKeysWithValues: (templateLabels.objectValue ?? [:]).compactMap { k, v in v.stringValue.map { (k, $0) } })
        if let sel = try? LabelSelector(json: selector), !sel.matches(labels) || labels.isEmpty {
            causes.append(APIStatus.Cause(
                type: "FieldValueInvalid",
                message: "Invalid value: \(templateLabels.serialized()): `selector` does not match template `labels`",
                field: "spec.template.metadata.labels"))
        }
        if let old, old["spec"]["selector"] != selector {
            causes.append(APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \(selector.serialized()): field is immutable", field: "spec.selector"))
        }
        if let n = obj["spec"]["replicas"].intValue, n < 0 {
            causes.append(APIErrors.invalidValue("spec.replicas", String(n), "must be greater than or equal to 0"))
        }
        return causes
    }

    static func crdCauses(_ crd: JSONValue) -> [APIStatus.Cause] {
        let group = crd["spec"]["group"].stringValue ?? ""
        let plural = crd["spec"]["names"]["plural"].stringValue ?? ""
        var causes: [APIStatus.Cause] = []
        if group.isEmpty { causes.append(APIErrors.required("spec.group", "")) }
        if plural.isEmpty { causes.append(APIErrors.required("spec.names.plural", "")) }
        if (crd["spec"]["names"]["kind"].stringValue ?? "").isEmpty { causes.append(APIErrors.required("spec.names.kind", "")) }
        if crd.name != "\(plural).\(group)" {
            causes.append(APIErrors.invalidValue("metadata.name", crd.name ?? "", "must be spec.names.plural+\".\"+spec.group"))
        }
        if (crd["spec"]["versions"].arrayValue ?? []).isEmpty { causes.append(APIErrors.required("spec.versions", "must have exactly one version marked as storage version")) }
        let admission = CRDAdmission.causes(crd)
        causes += admission
        // As apiextensions: CEL rules are compiled and priced only on a structural schema.
        if !admission.contains(where: { $0.field.contains("openAPIV3Schema") }) {
            causes += CELCRDCheck.causes(crd: crd)
        }
        return causes
    }
}

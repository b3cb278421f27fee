import KubeCore

/// What kube-apiserver refuses in a CustomResourceDefinition's CEL rules: compile errors,
/// rules over the per-rule cost budget, and schemas over the whole-CRD budget
/// (apiextensions validation.go and cel_validation.go).
public enum CELCRDCheck {
    /// apiextensions StaticEstimatedCostLimit and StaticEstimatedCRDCostLimit.
    public static let perRuleLimit: UInt64 = 10_000_000
    public static let perCRDLimit: UInt64 = 100_000_000

    public static func causes(crd: JSONValue) -> [APIStatus.Cause] {
        schemaPaths(crd).flatMap { check(schema: $0.schema, path: $0.path).causes }
    }

    /// Each schema with the path apiextensions reports it under: one top-level
    /// `spec.validation` when every version has the same schema (the internal form).
    static func schemaPaths(_ crd: JSONValue) -> [(schema: JSONValue, path: String)] {
        let versions = crd["spec"]["versions"].arrayValue ?? []
        let schemas = versions.map { $0["schema"]["openAPIV3Schema"] }
        if let first = schemas.first, schemas.allSatisfy({ $0 == first }) {
            return first.isNull ? [] : [(first, "spec.validation.openAPIV3Schema")]
        }
        return schemas.enumerated().compactMap { i, s in s.isNull ? nil : (s, "spec.versions[\(i)].schema.openAPIV3Schema") }
    }

    struct RuleCost {
        let path: String
        let rule: String
        let cost: UInt64
    }

    struct Report {
        var causes: [APIStatus.Cause] = []
        var rules: [RuleCost] = []
        var total: UInt64 = 0
        var mostExpensive: [RuleCost] = []
    }

    /// Checks one openAPIV3Schema; `path` names it as the server does.
    static func check(schema: JSONValue, path: String) -> Report {
        var r = Report()
        walk(schema, path: path, cardinality: 1, isRoot: true, uncorrelatable: nil, into: &r)
        if r.total > perCRDLimit {
            for e in r.mostExpensive {
                r.causes.append(forbidden(e.path, "contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema"))
            }
            r.causes.append(forbidden(path, costErrorMessage("x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema", r.total, perCRDLimit)))
        }
        return r
    }

    /// `uncorrelatable` is the highest ancestor whose children cannot be matched with the old
    /// object (sets, atomic lists and maps), where transition rules are refused.
    private static func walk(_ s: JSONValue, path: String, cardinality: UInt64?, isRoot: Bool, uncorrelatable: String?, into r: inout Report) {
        guard s.objectValue != nil else { return }
        // The factor by which this node multiplies its children's occurrences (extractMaxElements).
        var childCardinality: UInt64? = nil
        if let c = cardinality {
            switch s["type"].stringValue {
            case "object" where s["additionalProperties"].objectValue != nil:
                childCardinality = s["maxProperties"].intValue.map { multiply(c, UInt64(max(0, $0))) }
            case "array":
                childCardinality = s["maxItems"].intValue.map { multiply(c, UInt64(max(0, $0))) }
            default:
                childCardinality = c
            }
        }
        let mapChildren = uncorrelatable ?? (s["x-kubernetes-map-type"].stringValue == "atomic" ? path : nil)
        for (name, prop) in (s["properties"].objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            walk(prop, path: "\(path).properties[\(name)]", cardinality: childCardinality, isRoot: false, uncorrelatable: mapChildren, into: &r)
        }
        if s["additionalProperties"].objectValue != nil {
            walk(s["additionalProperties"], path: "\(path).additionalProperties", cardinality: childCardinality, isRoot: false, uncorrelatable: mapChildren, into: &r)
        }
        if s["items"].objectValue != nil {
            let listChildren = uncorrelatable ?? (s["x-kubernetes-list-type"].stringValue == "map" ? nil : path)
            walk(s["items"], path: "\(path).items", cardinality: childCardinality, isRoot: false, uncorrelatable: listChildren, into: &r)
        }
        guard let rules = s["x-kubernetes-validations"].arrayValue, !rules.isEmpty else { return }
        let embedded = s["x-kubernetes-embedded-resource"].boolValue == true
        guard let decl = CELSchemaTypes.declType(s, isResourceRoot: isRoot || embedded) else { return }
        let unboundedCardinality = CELSchemaTypes.maxCardinality(decl.minSerializedSize)
        for (i, rule) in rules.enumerated() {
            let rulePath = "\(path).x-kubernetes-validations[\(i)].rule"
            let source = rule["rule"].stringValue ?? ""
            if source.allSatisfy(\.isWhitespace) {
                r.causes.append(APIStatus.Cause(type: "FieldValueRequired", message: "Required value", field: rulePath))
                continue
            }
            var cost: UInt64 = 0
            switch CELCompiler.compile(source, decl: decl, optionalOldSelf: rule["optionalOldSelf"].boolValue == true) {
            case .success(let p):
                cost = multiply(p.maxCost, cardinality ?? unboundedCardinality)
                if p.isTransitionRule, let within = uncorrelatable {
                    r.causes.append(APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \(source.goQuoted): oldSelf cannot be used on the uncorrelatable portion of the schema within \(within)", field: rulePath))
                }
            case .failure(let err):
                let detail: String
                switch err {
                case .issues(let s): detail = "compilation failed: " + s
                case .wrongType: detail = "cel expression must evaluate to a bool"
                }
                r.causes.append(APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \(goValue(rule)): \(detail)", field: rulePath))
            }
            if cost > perRuleLimit {
                r.causes.append(forbidden(rulePath, costErrorMessage("estimated rule cost", cost, perRuleLimit)))
            }
            observe(RuleCost(path: rulePath, rule: source, cost: cost), into: &r)
            if let me = rule["messageExpression"].stringValue, !me.allSatisfy(\.isWhitespace) {
                let mePath = "\(path).x-kubernetes-validations[\(i)].messageExpression"
                switch CELCompiler.compile(me, decl: decl, expect: .string) {
                case .success(let p):
                    let c = multiply(p.maxCost, cardinality ?? unboundedCardinality)
                    if c > perRuleLimit {
                        r.causes.append(forbidden(mePath, costErrorMessage("estimated messageExpression cost", c, perRuleLimit)))
                    }
                    observe(RuleCost(path: mePath, rule: me, cost: c), into: &r)
                case .failure(let err):
                    let detail: String
                    switch err {
                    case .issues(let s): detail = "messageExpression compilation failed: " + s
                    case .wrongType: detail = "must evaluate to a string"
                    }
                    r.causes.append(APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \(goValue(rule)): \(detail)", field: mePath))
                }
            }
        }
    }

    private static func observe(_ c: RuleCost, into r: inout Report) {
        r.total = satAdd(r.total, c.cost)
        r.rules.append(c)
        // Only rules above 1% of the CRD budget are named, the four most expensive.
        guard c.cost >= perCRDLimit / 100 else { return }
        r.mostExpensive.append(c)
        r.mostExpensive.sort { $0.cost > $1.cost }
        if r.mostExpensive.count > 4 { r.mostExpensive.removeLast(r.mostExpensive.count - 4) }
    }

    /// multiplyWithOverflowGuard.
    static func multiply(_ cost: UInt64, _ cardinality: UInt64) -> UInt64 {
        cost == 0 ? 0 : satMul(cost, cardinality)
    }

    private static func forbidden(_ field: String, _ msg: String) -> APIStatus.Cause {
        APIStatus.Cause(type: "FieldValueForbidden", message: "Forbidden: \(msg)", field: field)
    }

    /// getCostErrorMessage: `%f` below 1.5x, `%.1f` up to 100x, then "more than 100x".
    static func costErrorMessage(_ name: String, _ cost: UInt64, _ limit: UInt64) -> String {
        let f = Double(cost) / Double(limit)
        let factor = f > 100 ? "more than 100x" : f < 1.5 ? "\(fixed(f, 6))x" : "\(fixed(f, 1))x"
        return "\(name) exceeds budget by factor of \(factor) (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)"
    }

    /// Go's %.Nf for the non-negative values reported here.
    static func fixed(_ v: Double, _ digits: Int) -> String {
        var scale: Double = 1
        for _ in 0..<digits { scale *= 10 }
        let n = UInt64((v * scale).rounded(.toNearestOrEven))
        let s = String(n)
        guard digits > 0 else { return s }
        let padded = String(repeating: "0", count: max(0, digits + 1 - s.count)) + s
        return "\(padded.dropLast(digits)).\(padded.suffix(digits))"
    }

    /// The rule as field.Invalid prints an internal ValidationRule (`%#v`).
    static func goValue(_ rule: JSONValue) -> String {
        let reason = rule["reason"].stringValue.map { "(*apiextensions.FieldValueErrorReason)(\($0.goQuoted))" } ?? "(*apiextensions.FieldValueErrorReason)(nil)"
        let oos = rule["optionalOldSelf"].boolValue.map { "(*bool)(\($0))" } ?? "(*bool)(nil)"
        return "apiextensions.ValidationRule{Rule:\((rule["rule"].stringValue ?? "").goQuoted), Message:\((rule["message"].stringValue ?? "").goQuoted), MessageExpression:\((rule["messageExpression"].stringValue ?? "").goQuoted), Reason:\(reason), FieldPath:\((rule["fieldPath"].stringValue ?? "").goQuoted), OptionalOldSelf:\(oos)}"
    }
}

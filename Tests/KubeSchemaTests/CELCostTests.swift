import KubeCore
import Testing
@testable import KubeSchema

/// The static cost check against what a real v1.36.2 kube-apiserver answered.
@Suite("CEL cost budget of CRDs")
struct CELCostTests {
    static let steps = "spec.validation.openAPIV3Schema.properties[spec].properties[strategy].properties[canary].properties[steps].items"
    static let hint = "(try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)"

    @Test func oldRolloutsRefusedAsTheRealServer() throws {
        let causes = CELCRDCheck.causes(crd: try TestFiles.oldRollouts())
        let rules = [
            "\(Self.steps).properties[setHeaderRoute].properties[match].items.properties[headerValue].x-kubernetes-validations[0].rule",
            "\(Self.steps).properties[setMirrorRoute].properties[match].items.properties[headers].additionalProperties.x-kubernetes-validations[0].rule",
            "\(Self.steps).properties[setMirrorRoute].properties[match].items.properties[method].x-kubernetes-validations[0].rule",
            "\(Self.steps).properties[setMirrorRoute].properties[match].items.properties[path].x-kubernetes-validations[0].rule",
        ]
        let perRule = causes.filter { $0.message.hasPrefix("Forbidden: estimated rule cost") }
        #expect(perRule.map(\.field) == rules)
        for c in perRule {
            #expect(c.type == "FieldValueForbidden")
            #expect(c.message == "Forbidden: estimated rule cost exceeds budget by factor of 2.5x \(Self.hint)")
        }
        let contributed = causes.filter { $0.message.contains("contributed to estimated rule cost total") }
        #expect(contributed.map(\.field) == rules)
        #expect(causes.last?.field == "spec.validation.openAPIV3Schema")
        #expect(causes.last?.message == "Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of 1.012995x \(Self.hint)")
        #expect(causes.count == 9)
    }

    @Test func costFactorFormatting() {
        #expect(CELCRDCheck.costErrorMessage("c", 101_299_469, 100_000_000).contains("factor of 1.012995x"))
        #expect(CELCRDCheck.costErrorMessage("c", 25_165_824, 10_000_000).contains("factor of 2.5x"))
        #expect(CELCRDCheck.costErrorMessage("c", 14_999_999, 10_000_000).contains("factor of 1.500000x"))
        #expect(CELCRDCheck.costErrorMessage("c", 1_000_000_001, 10_000_000).contains("factor of more than 100x"))
        #expect(CELCRDCheck.costErrorMessage("c", 999_000_000, 10_000_000).contains("factor of 99.9x"))
    }

    /// Every third-party CRD the real server accepted: the estimate must not exceed it.
    @Test func thirdPartyCRDsAccepted() throws {
        var checked = 0
        for dir in TestFiles.thirdPartyDirectories {
            for file in try TestFiles.files(in: dir) {
                for crd in try TestFiles.crds("\(dir)/\(file)") {
                    let causes = CELCRDCheck.causes(crd: crd)
                    #expect(causes.isEmpty, "\(file) \(crd.name ?? ""): \(causes.map { "\($0.field): \($0.message)" })")
                    checked += 1
                }
            }
        }
        #expect(checked >= 20)
    }

    /// Every CRD in crds/ fits the real server's budget (the suite fails on one it would refuse).
    /// Prints the largest rules so the headroom is visible.
    @Test func serinCRDsAndTheirHeadroom() throws {
        var table: [String] = []
        for file in try TestFiles.files(in: "crds") where file != "kustomization.yaml" {
            for crd in try TestFiles.crds("crds/\(file)") {
                let causes = CELCRDCheck.causes(crd: crd)
                var rules: [CELCRDCheck.RuleCost] = []
                var total: UInt64 = 0
                for s in CELCRDCheck.schemaPaths(crd) {
                    let r = CELCRDCheck.check(schema: s.schema, path: s.path)
                    rules += r.rules
                    total = max(total, r.total)
                }
                table.append("\(crd.name ?? file): total \(total) of \(CELCRDCheck.perCRDLimit), \(causes.count) refusals")
                for r in rules.sorted(by: { $0.cost > $1.cost }).prefix(3) {
                    let pct = Double(r.cost) * 100 / Double(CELCRDCheck.perRuleLimit)
                    table.append("  \(String(r.cost).padding(10)) \(CELCRDCheck.fixed(pct, 2).padding(7))% of rule budget  \(r.rule.prefix(70))")
                }
                #expect(causes.isEmpty, "\(file): \(causes.map(\.message))")
            }
        }
        print("Estimated CEL cost of Serin CRDs (largest rules):\n" + table.joined(separator: "\n"))
    }

    @Test func compileErrorsReportedOnTheRule() {
        let crd: JSONValue = [
            "kind": "CustomResourceDefinition",
            "spec": ["versions": [["name": "v1", "schema": ["openAPIV3Schema": [
                "type": "object",
                "properties": ["spec": ["type": "object", "properties": ["a": ["type": "string"]],
                                        "x-kubernetes-validations": [["rule": "self.b == 1"]]]],
            ]]]]],
        ]
        let causes = CELCRDCheck.causes(crd: crd)
        #expect(causes.count == 1)
        #expect(causes.first?.field == "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule")
        let expected = "Invalid value: apiextensions.ValidationRule{Rule:\"self.b == 1\", Message:\"\", MessageExpression:\"\", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:\"\", OptionalOldSelf:(*bool)(nil)}: compilation failed: ERROR: <input>:1:5: undefined field 'b'\n | self.b == 1\n | ....^"
        #expect(causes.first?.message == expected)
    }
}

extension String {
    fileprivate func padding(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

@Suite("CEL transition rules in CRDs")
struct CELTransitionRuleCRDTests {
    @Test func oldSelfRefusedWhereItemsCannotBeCorrelated() {
        let item: JSONValue = ["type": "object", "properties": ["a": ["type": "string"]], "x-kubernetes-validations": [["rule": "self.a == oldSelf.a"]]]
        let crd: JSONValue = [
            "kind": "CustomResourceDefinition",
            "spec": ["versions": [["name": "v1", "schema": ["openAPIV3Schema": [
                "type": "object",
                "properties": [
                    "set": ["type": "array", "maxItems": 10, "x-kubernetes-list-type": "atomic", "items": item],
                    "byKey": ["type": "array", "maxItems": 10, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["a"], "items": item],
                ],
            ]]]]],
        ]
        let causes = CELCRDCheck.causes(crd: crd)
        #expect(causes.map(\.field) == ["spec.validation.openAPIV3Schema.properties[set].items.x-kubernetes-validations[0].rule"])
        #expect(causes.first?.message == "Invalid value: \"self.a == oldSelf.a\": oldSelf cannot be used on the uncorrelatable portion of the schema within spec.validation.openAPIV3Schema.properties[set]")
    }
}

import KubeCore
import Testing
@testable import KubeSchema

/// rule, message, messageExpression, reason, fieldPath and transition rules on objects, with
/// the field paths and texts the real server reports.
@Suite("CEL rule semantics on objects")
struct CELRuleSemanticsTests {
    static func schema(_ spec: JSONValue) -> JSONValue {
        ["type": "object", "properties": ["apiVersion": ["type": "string"], "kind": ["type": "string"], "metadata": ["type": "object"], "spec": spec]]
    }

    static func object(_ spec: JSONValue) -> JSONValue {
        ["apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "w"], "spec": spec]
    }

    static let minMax: JSONValue = [
        "type": "object",
        "properties": ["min": ["type": "integer"], "max": ["type": "integer"], "name": ["type": "string"]],
        "x-kubernetes-validations": [
            ["rule": "self.min <= self.max"],
            ["rule": "self.min >= 0", "message": "min must not be negative", "reason": "FieldValueForbidden"],
            ["rule": "self.max < 100", "messageExpression": "'max is ' + string(self.max) + ', above 99'", "fieldPath": ".max"],
            ["rule": "!has(self.name) || self.name != 'x'", "message": "name is required to differ", "reason": "FieldValueRequired", "fieldPath": ".name"],
        ],
    ]

    @Test func messagesReasonsAndFieldPaths() {
        let causes = CELValidation.causes(schema: Self.schema(Self.minMax), object: Self.object(["min": -5, "max": -9]), old: nil)
        #expect(causes == [
            APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \"object\": failed rule: self.min <= self.max", field: "spec"),
            APIStatus.Cause(type: "FieldValueForbidden", message: "Forbidden: min must not be negative", field: "spec"),
        ])
        let more = CELValidation.causes(schema: Self.schema(Self.minMax), object: Self.object(["min": 1, "max": 120, "name": "x"]), old: nil)
        #expect(more == [
            APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \"object\": max is 120, above 99", field: "spec.max"),
            APIStatus.Cause(type: "FieldValueRequired", message: "Required value: name is required to differ", field: "spec.name"),
        ])
        #expect(CELValidation.causes(schema: Self.schema(Self.minMax), object: Self.object(["min": 1, "max": 2]), old: nil).isEmpty)
    }

    @Test func runtimeErrorsNameTheRule() {
        let causes = CELValidation.causes(schema: Self.schema(Self.minMax), object: Self.object(["max": 2]), old: nil)
        #expect(causes.first == APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \"object\": no such key: min evaluating rule: self.min <= self.max", field: "spec"))
    }

    static let keyed: JSONValue = [
        "type": "object",
        "properties": [
            "byName": [
                "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                "items": ["type": "object", "properties": ["name": ["type": "string"], "port": ["type": "integer", "x-kubernetes-validations": [["rule": "self == oldSelf", "message": "port is immutable"]]]]],
            ],
            "plain": [
                "type": "array",
                "items": ["type": "object", "properties": ["port": ["type": "integer", "x-kubernetes-validations": [["rule": "self == oldSelf", "message": "port is immutable"]]]]],
            ],
            "mode": ["type": "string", "x-kubernetes-validations": [["rule": "self == oldSelf", "message": "mode is immutable"]]],
        ],
    ]

    @Test func transitionRulesOnlyWhereTheOldValueCorrelates() {
        let schema = Self.schema(Self.keyed)
        let old = Self.object(["mode": "a", "byName": [["name": "a", "port": 1], ["name": "b", "port": 2]], "plain": [["port": 1]]])
        // Created: no old value, transition rules do not run.
        #expect(CELValidation.causes(schema: schema, object: old, old: nil).isEmpty)
        // Reordered map-list items correlate by key; a changed port is refused.
        let changed = Self.object(["mode": "b", "byName": [["name": "b", "port": 2], ["name": "a", "port": 9]], "plain": [["port": 5]]])
        let causes = CELValidation.causes(schema: schema, object: changed, old: old)
        #expect(causes == [
            APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \"integer\": port is immutable", field: "spec.byName[1].port"),
            APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \"string\": mode is immutable", field: "spec.mode"),
        ])
        // A new key has no old item: accepted.
        let added = Self.object(["mode": "a", "byName": [["name": "a", "port": 1], ["name": "b", "port": 2], ["name": "c", "port": 3]], "plain": [["port": 1]]])
        #expect(CELValidation.causes(schema: schema, object: added, old: old).isEmpty)
    }

    @Test func unchangedValuesAreRatcheted() {
        let schema = Self.schema(Self.minMax)
        let bad = Self.object(["min": 5, "max": 1])
        #expect(!CELValidation.causes(schema: schema, object: bad, old: nil).isEmpty)
        var relabelled = bad
        relabelled["metadata"]["labels"] = ["a": "b"]
        #expect(CELValidation.causes(schema: schema, object: relabelled, old: bad).isEmpty)
    }

    @Test func optionalOldSelfRunsOnCreateToo() {
        let spec: JSONValue = [
            "type": "object", "properties": ["replicas": ["type": "integer"]],
            "x-kubernetes-validations": [["rule": "!oldSelf.hasValue() || self.replicas >= oldSelf.value().replicas", "message": "replicas may only grow", "optionalOldSelf": true],
                                         ["rule": "oldSelf.hasValue() || self.replicas < 10", "message": "start below 10", "optionalOldSelf": true]],
        ]
        let schema = Self.schema(spec)
        let expectedCreate = [APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \"object\": start below 10", field: "spec")]
        #expect(CELValidation.causes(schema: schema, object: Self.object(["replicas": 12]), old: nil) == expectedCreate)
        #expect(CELValidation.causes(schema: schema, object: Self.object(["replicas": 3]), old: nil).isEmpty)
        let shrunk = CELValidation.causes(schema: schema, object: Self.object(["replicas": 2]), old: Self.object(["replicas": 3]))
        #expect(shrunk == [APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \"object\": replicas may only grow", field: "spec")])
    }

    @Test func rootRulesReportedAsTheServerDoes() {
        let schema: JSONValue = [
            "type": "object",
            "properties": ["apiVersion": ["type": "string"], "kind": ["type": "string"], "metadata": ["type": "object"]],
            "x-kubernetes-validations": [["rule": "self.metadata.name.startsWith('my-')"]],
        ]
        let causes = CELValidation.causes(schema: schema, object: Self.object([:]), old: nil)
        #expect(causes == [APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \"object\": failed rule: self.metadata.name.startsWith('my-')", field: "<nil>")])
    }
}

import KubeCore
import KubeTestServer
import Testing

/// Schema keywords kube-apiserver enforces on custom resources, and what it checks on a CRD
/// itself, with the real server's field paths and wording.
@Suite("KubeTestServer schema keywords and CRD admission", .timeLimit(.minutes(1)))
struct SchemaAdmissionTests {
    static let crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    static let gadgets = "/apis/example.com/v1/namespaces/default/gadgets"

    static func crd(_ schema: JSONValue, group: String = "example.com", versions: [String] = ["v1"], annotations: JSONValue = .null) -> JSONValue {
        var c: JSONValue = [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": ["name": .string("gadgets.\(group)")],
            "spec": [
                "group": .string(group), "scope": "Namespaced",
                "names": ["plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"],
                "versions": .array(versions.enumerated().map { i, v in
                    ["name": .string(v), "served": true, "storage": .bool(i == 0), "schema": ["openAPIV3Schema": schema]]
                }),
            ],
        ]
        if !annotations.isNull { c["metadata"]["annotations"] = annotations }
        return c
    }

    static func object(_ spec: JSONValue) -> JSONValue {
        ["type": "object", "properties": ["spec": ["type": "object", "properties": spec]]]
    }

    static let keywords: JSONValue = object([
        "name": ["type": "string", "maxLength": 3, "minLength": 2, "pattern": "^[a-z]+$"],
        "id": ["type": "string", "format": "uuid"],
        "host": ["type": "string", "format": "hostname"],
        "ip": ["type": "string", "format": "ipv4"],
        "when": ["type": "string", "format": "date-time"],
        "count32": ["type": "integer", "format": "int32"],
        "five": ["type": "integer", "multipleOf": 5],
        "below": ["type": "integer", "maximum": 100, "exclusiveMaximum": true],
        "above": ["type": "number", "minimum": 0, "exclusiveMinimum": true],
        "labels": ["type": "object", "additionalProperties": ["type": "string"], "minProperties": 1],
        "few": ["type": "object", "additionalProperties": ["type": "string"], "maxProperties": 2],
        "tags": ["type": "array", "items": ["type": "string"], "x-kubernetes-list-type": "set"],
        "ports": [
            "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
            "items": ["type": "object", "required": ["name"], "properties": ["name": ["type": "string"], "port": ["type": "integer"]]],
        ],
        "choice": [
            "type": "object", "properties": ["a": ["type": "string"], "b": ["type": "string"]],
            "oneOf": [["required": ["a"]], ["required": ["b"]]],
        ],
        "notes": ["type": "array", "items": ["type": "string"]],
        "maybe": ["type": "array", "items": ["type": "string", "nullable": true]],
        "mode": ["type": "string", "enum": ["fast", "slow"]],
        "size": ["x-kubernetes-int-or-string": true, "anyOf": [["type": "integer"], ["type": "string"]], "pattern": "^[0-9]+%?$"],
    ])

    static func gadget(_ name: String, _ spec: JSONValue) -> JSONValue {
        ["apiVersion": "example.com/v1", "kind": "Gadget", "metadata": ["name": .string(name)], "spec": spec]
    }

    @Test func customResourcesAreRefusedWithKubeOpenAPIMessages() async throws {
        try await ServerHarness.with { h async throws in
            #expect(try await h.post(Self.crds, Self.crd(Self.keywords)).status == 201)
            let good: JSONValue = [
                "name": "ab", "id": "123e4567-e89b-12d3-a456-426614174000", "host": "app.example.com", "ip": "10.0.0.1",
                "when": "2026-12-02T00:40:00Z", "count32": 99_999_999_999, "five": 10, "below": 99, "above": 0.5,
                "labels": ["a": "b"], "few": ["a": "b"], "tags": ["x", "y"], "ports": [["name": "http", "port": 80], ["name": "grpc", "port": 81]],
                "choice": ["a": "x"], "notes": ["n"], "maybe": ["m", nil], "mode": "fast", "size": "25%",
            ]
            let ok = try await h.post(Self.gadgets, Self.gadget("good", good))
            #expect(ok.status == 201, "\(ok.raw)")

            let bad: JSONValue = [
                "name": "abcd!", "id": "nope", "host": "-bad_host", "ip": "10.0.0.01", "when": "yesterday", "five": 7, "below": 100, "above": 0,
                "labels": [:], "few": ["a": "1", "b": "2", "c": "3"], "tags": ["x", "x"],
                "ports": [["name": "http", "port": 80], ["name": "http", "port": 81]],
                "choice": ["a": "x", "b": "y"], "notes": [nil], "mode": "medium", "size": "big",
            ]
            let r = try await h.post(Self.gadgets, Self.gadget("bad", bad))
            #expect(r.status == 422)
            let causes = (r.json["details"]["causes"].arrayValue ?? []).map { "\($0["field"].stringValue ?? ""): \($0["message"].stringValue ?? "")" }
            let expected = [
                "spec.name: Too long: may not be more than 3 bytes",
                #"spec.name: Invalid value: "abcd!": spec.name in body should match '^[a-z]+$'"#,
                #"spec.id: Invalid value: "nope": spec.id in body must be of type uuid: "nope""#,
                #"spec.host: Invalid value: "-bad_host": spec.host in body must be of type hostname: "-bad_host""#,
                #"spec.ip: Invalid value: "10.0.0.01": spec.ip in body must be of type ipv4: "10.0.0.01""#,
                #"spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday""#,
                "spec.five: Invalid value: 7: spec.five in body should be a multiple of 5",
                "spec.below: Invalid value: 100: spec.below in body should be less than 100",
                "spec.above: Invalid value: 0: spec.above in body should be greater than 0",
                "spec.labels: Invalid value: 1: spec.labels in body should have at least 1 properties",
                "spec.few: Too many: 3: must have at most 2 items",
                #"spec.tags[1]: Duplicate value: "x""#,
                #"spec.ports[1]: Duplicate value: map[string]interface {}{"name":"http"}"#,
                #"<nil>: Invalid value: "": "spec.choice" must validate one and only one schema (oneOf). Found 2 valid alternatives"#,
                #"spec.notes[0]: Invalid value: "null": spec.notes[0] in body must be of type string: "null""#,
                #"spec.mode: Unsupported value: "medium": supported values: "fast", "slow""#,
                #"spec.size: Invalid value: "big": spec.size in body should match '^[0-9]+%?$'"#,
            ]
            for e in expected {
                let found = causes.contains(e)
                #expect(found, "missing \(e) in \(causes)")
            }
            #expect(causes.count == expected.count, "\(causes)")
            #expect(r.json["message"].stringValue?.hasPrefix(#"Gadget.example.com "bad" is invalid: ["#) == true)
        }
    }

    @Test func nonStructuralAndMalformedCRDsAreRefused() async throws {
        try await ServerHarness.with { h async throws in
            let untyped = try await h.post(Self.crds, Self.crd(Self.object(["x": ["description": "no type"], "list": ["type": "array"]])))
            #expect(untyped.status == 422)
            let fields = (untyped.json["details"]["causes"].arrayValue ?? []).map { "\($0["field"].stringValue ?? ""): \($0["message"].stringValue ?? "")" }
            #expect(fields == [
                "spec.validation.openAPIV3Schema.properties[spec].properties[list].items: Required value: must be specified",
                "spec.validation.openAPIV3Schema.properties[spec].properties[x].type: Required value: must not be empty for specified object fields",
            ])
            #expect(untyped.json["message"].stringValue?.hasPrefix(#"CustomResourceDefinition.apiextensions.k8s.io "gadgets.example.com" is invalid: ["#) == true)

            let both = try await h.post(Self.crds, Self.crd(Self.object([
                "m": ["type": "object", "properties": ["a": ["type": "string"]], "additionalProperties": ["type": "string"]],
                "n": ["type": "string", "anyOf": [["type": "string"]]],
            ])))
            let bothFields = (both.json["details"]["causes"].arrayValue ?? []).map { "\($0["field"].stringValue ?? ""): \($0["message"].stringValue ?? "")" }
            #expect(bothFields.contains("spec.validation.openAPIV3Schema.properties[spec].properties[m].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive"), "\(bothFields)")
            #expect(bothFields.contains("spec.validation.openAPIV3Schema.properties[spec].properties[n].anyOf[0].type: Forbidden: must be empty to be structural"), "\(bothFields)")

            // Different schemas per version: the path names the version.
            var two = Self.crd(Self.object(["a": ["type": "string"]]), versions: ["v1", "v2"])
            two["spec"]["versions"][1]["schema"]["openAPIV3Schema"] = Self.object(["a": [:]])
            let perVersion = try await h.post(Self.crds, two)
            #expect(perVersion.json["details"]["causes"][0]["field"] == "spec.versions[1].schema.openAPIV3Schema.properties[spec].properties[a].type")

            var storage = Self.crd(Self.object(["a": ["type": "string"]]), versions: ["v1", "v2"])
            storage["spec"]["versions"][1]["storage"] = true
            let twoStorage = try await h.post(Self.crds, storage)
            #expect(twoStorage.status == 422)
            #expect(twoStorage.json["details"]["causes"][0]["field"] == "spec.versions")
            #expect(twoStorage.json["details"]["causes"][0]["message"].stringValue?.hasSuffix("must have exactly one version marked as storage version") == true)

            let badDefault = try await h.post(Self.crds, Self.crd(Self.object(["size": ["type": "integer", "default": "big"]])))
            #expect(badDefault.status == 422)
            #expect(badDefault.json["details"]["causes"][0]["field"] == "spec.validation.openAPIV3Schema.properties[spec].properties[size].default")
            #expect(badDefault.json["details"]["causes"][0]["message"] == #"Invalid value: "string":  in body must be of type integer: "string""#)

            let listMap = try await h.post(Self.crds, Self.crd(Self.object([
                "ports": ["type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                          "items": ["type": "object", "properties": ["name": ["type": "string"]]]],
            ])))
            #expect(listMap.status == 422)
            #expect(listMap.json["details"]["causes"][0]["field"] == "spec.validation.openAPIV3Schema.properties[spec].properties[ports].items.properties[name].default")
            #expect(listMap.json["details"]["causes"][0]["message"] == "Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property")

            var column = Self.crd(Self.object(["a": ["type": "string"]]))
            column["spec"]["versions"][0]["additionalPrinterColumns"] = [["name": "A", "type": "text", "jsonPath": "spec.a"]]
            let col = try await h.post(Self.crds, column)
            let colFields = (col.json["details"]["causes"].arrayValue ?? []).map { "\($0["field"].stringValue ?? ""): \($0["message"].stringValue ?? "")" }
            #expect(colFields == [
                #"spec.versions[0].additionalPrinterColumns[0].type: Invalid value: "text": must be one of boolean,date,integer,number,string"#,
                #"spec.versions[0].additionalPrinterColumns[0].JSONPath: Invalid value: "spec.a": must be a simple json path starting with ."#,
            ])
            #expect(try await h.get("\(Self.crds)/gadgets.example.com").status == 404)
        }
    }

    @Test func annotationsTogetherAreLimitedTo256KiB() async throws {
        try await ServerHarness.with { h async throws in
            var cm = Fixtures.configMap("big")
            cm["metadata"]["annotations"] = ["kubectl.kubernetes.io/last-applied-configuration": .string(String(repeating: "x", count: 262_144))]
            let r = try await h.post("/api/v1/namespaces/default/configmaps", cm)
            #expect(r.status == 422)
            #expect(r.json["message"] == #"ConfigMap "big" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes"#)
        }
    }

    @Test func protectedGroupsNeedTheApprovalAnnotation() async throws {
        try await ServerHarness.with { h async throws in
            let r = try await h.post(Self.crds, Self.crd(Self.object(["a": ["type": "string"]]), group: "demo.k8s.io"))
            #expect(r.status == 422)
            #expect(r.json["message"] == #"CustomResourceDefinition.apiextensions.k8s.io "gadgets.demo.k8s.io" is invalid: metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111"#)
            let junk = try await h.post(Self.crds, Self.crd(Self.object([:]), group: "x.kubernetes.io", annotations: ["api-approved.kubernetes.io": "yes"]))
            #expect(junk.json["details"]["causes"][0]["message"].stringValue?.hasPrefix(#"Invalid value: "yes": protected groups must have approval annotation "api-approved.kubernetes.io" with either a URL or a reason starting with "unapproved""#) == true)
            let approved = try await h.post(Self.crds, Self.crd(Self.object([:]), group: "demo.k8s.io", annotations: ["api-approved.kubernetes.io": "unapproved, experimental"]))
            #expect(approved.status == 201)
        }
    }
}

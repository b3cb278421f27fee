import KubeCore
import KubeTestServer
import Testing

/// Server-side field validation of custom resources (`fieldValidation=Strict|Warn|Ignore`), as
/// a client sees it on the wire: status, message and `Warning` headers.
@Suite("KubeTestServer field validation", .timeLimit(.minutes(1)))
struct FieldValidationTests {
    static let crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    static let widgets = "/apis/example.com/v1/namespaces/default/widgets"

    static func widget(_ name: String, extra: JSONValue = [:]) -> JSONValue {
        var w = Fixtures.widget(name)
        for (k, v) in extra.objectValue ?? [:] { w["spec"][k] = v }
        return w
    }

    @Test func strictCreateIsRefusedWithTheDecoderMessage() async throws {
        try await ServerHarness.with { h async throws in
            _ = try await h.post(Self.crds, Fixtures.widgetCRD)
            let body = Self.widget("w1", extra: ["stepz": 1, "x": "y"])
            let r = try await h.request("POST", "\(Self.widgets)?fieldValidation=Strict", body: body)
            #expect(r.status == 400)
            #expect(r.json["reason"] == "BadRequest")
            #expect(r.json["message"] == #"Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.stepz", unknown field "spec.x""#)
            #expect(try await h.get("\(Self.widgets)/w1").status == 404)

            // Unknown metadata fields count too, before the pruned paths.
            var meta = Self.widget("w2", extra: ["stepz": 1])
            meta["metadata"]["colour"] = "red"
            let m = try await h.request("POST", "\(Self.widgets)?fieldValidation=Strict", body: meta)
            #expect(m.json["message"].stringValue?.hasSuffix(#"strict decoding error: unknown field "metadata.colour", unknown field "spec.stepz""#) == true)

            // PUT is decoded the same way.
            #expect(try await h.post(Self.widgets, Self.widget("w3")).status == 201)
            let put = try await h.request("PUT", "\(Self.widgets)/w3?fieldValidation=Strict", body: Self.widget("w3", extra: ["stepz": 1]))
            #expect(put.status == 400)
            #expect(put.json["message"].stringValue?.hasSuffix(#"strict decoding error: unknown field "spec.stepz""#) == true)
        }
    }

    @Test func warnIsTheDefaultAndIgnoreIsSilent() async throws {
        try await ServerHarness.with { h async throws in
            _ = try await h.post(Self.crds, Fixtures.widgetCRD)
            let created = try await h.post(Self.widgets, Self.widget("w1", extra: ["stepz": 1, "x": "y"]))
            #expect(created.status == 201)
            #expect(created.warnings == [#"299 - "unknown field \"spec.stepz\"""#, #"299 - "unknown field \"spec.x\"""#])
            #expect(created.json["spec"]["stepz"].isNull)
            let warned = try await h.request("POST", "\(Self.widgets)?fieldValidation=Warn", body: Self.widget("w2", extra: ["stepz": 1]))
            #expect(warned.warnings == [#"299 - "unknown field \"spec.stepz\"""#])
            let ignored = try await h.request("POST", "\(Self.widgets)?fieldValidation=Ignore", body: Self.widget("w3", extra: ["stepz": 1]))
            #expect(ignored.status == 201)
            #expect(ignored.warnings.isEmpty)
            #expect(ignored.json["spec"]["stepz"].isNull)
            let clean = try await h.post(Self.widgets, Self.widget("w4"))
            #expect(clean.warnings.isEmpty)

            let bad = try await h.request("POST", "\(Self.widgets)?fieldValidation=Loud", body: Self.widget("w5"))
            #expect(bad.status == 422)
            #expect(bad.json["message"] == #"CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loud": supported values: "", "Ignore", "Strict", "Warn""#)
        }
    }

    @Test func duplicateFieldsInJSONBodiesAndUnknownFieldsInYAML() async throws {
        try await ServerHarness.with { h async throws in
            _ = try await h.post(Self.crds, Fixtures.widgetCRD)
            let json = #"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"d1"},"spec":{"size":1,"size":2,"parts":[{"weight":1,"weight":2}]}}"#
            let strict = try await h.request("POST", "\(Self.widgets)?fieldValidation=Strict", rawBody: json)
            #expect(strict.status == 400)
            #expect(strict.json["message"].stringValue?.hasSuffix(#"strict decoding error: duplicate field "spec.size", duplicate field "spec.parts[0].weight""#) == true)
            let warn = try await h.request("POST", Self.widgets, rawBody: json)
            #expect(warn.status == 201)
            #expect(warn.warnings == [#"299 - "duplicate field \"spec.size\"""#, #"299 - "duplicate field \"spec.parts[0].weight\"""#])
            #expect(warn.json["spec"]["size"] == 2)

            // YAML bodies: Yams refuses repeated keys while parsing, before field validation
            // (a real server takes them and reports `line N: key "x" already set in map`).
            let yaml = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: d2\nspec:\n  size: 1\n  stepz: 1\n"
            let y = try await h.request("POST", "\(Self.widgets)?fieldValidation=Strict", rawBody: yaml, contentType: "application/yaml")
            #expect(y.status == 400)
            #expect(y.json["message"] == #"Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.stepz""#, "\(y.raw)")
        }
    }

    @Test func patchesAreCheckedOnThePatchedObject() async throws {
        try await ServerHarness.with { h async throws in
            _ = try await h.post(Self.crds, Fixtures.widgetCRD)
            _ = try await h.post(Self.widgets, Self.widget("p1"))
            let merge = try await h.request(
                "PATCH", "\(Self.widgets)/p1?fieldValidation=Strict", body: ["spec": ["bogus": 1]], contentType: "application/merge-patch+json")
            #expect(merge.status == 422)
            #expect(merge.json["reason"] == "Invalid")
            let message = merge.json["message"].stringValue ?? ""
            #expect(message.hasPrefix(#" "" is invalid: patch: Invalid value: "{\"apiVersion\":\"example.com/v1\""#), "\(message)")
            #expect(message.hasSuffix(#"": strict decoding error: unknown field "spec.bogus""#), "\(message)")
            #expect(merge.json["details"]["causes"][0]["field"] == "patch")

            let ops: JSONValue = [["op": "add", "path": "/spec/bogus", "value": 1, "foo": "bar"]]
            let json = try await h.request("PATCH", "\(Self.widgets)/p1", body: ops, contentType: "application/json-patch+json")
            #expect(json.status == 200)
            #expect(json.warnings == [#"299 - "json patch unknown field \"[0].foo\"""#, #"299 - "unknown field \"spec.bogus\"""#])
            #expect(json.json["spec"]["bogus"].isNull)

            let ignored = try await h.request(
                "PATCH", "\(Self.widgets)/p1?fieldValidation=Ignore", body: ["spec": ["bogus": 2]], contentType: "application/merge-patch+json")
            #expect(ignored.status == 200)
            #expect(ignored.warnings.isEmpty)
        }
    }
}

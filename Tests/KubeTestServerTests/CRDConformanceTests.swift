import KubeCore
import KubeTestServer
import Testing

@Suite("KubeTestServer CRDs", .timeLimit(.minutes(1)))
struct CRDConformanceTests {
    static let crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    static let widgets = "/apis/example.com/v1/namespaces/default/widgets"

    @Test func crdBecomesServedWithStatusAndDiscovery() async throws {
        try await ServerHarness.with { h async throws in
            #expect(try await h.get(Self.widgets).status == 404)
            let created = try await h.post(Self.crds, Fixtures.widgetCRD)
            #expect(created.status == 201)
            let crd = try await h.get("\(Self.crds)/widgets.example.com").json
            let established = (crd["status"]["conditions"].arrayValue ?? []).first { $0["type"] == "Established" }
            #expect(established?["status"] == "True")
            #expect(crd["status"]["acceptedNames"]["kind"] == "Widget")

            let list = try await h.get(Self.widgets)
            #expect(list.status == 200)
            #expect(list.json["kind"] == "WidgetList")

            let groups = try await h.get("/apis").json
            let group = (groups["groups"].arrayValue ?? []).first { $0["name"] == "example.com" }
            #expect(group?["preferredVersion"]["groupVersion"] == "example.com/v1")
            let resources = try await h.get("/apis/example.com/v1").json["resources"].arrayValue ?? []
            let main = resources.first { $0["name"] == "widgets" }
            #expect(main?["kind"] == "Widget")
            #expect(main?["namespaced"] == true)
            #expect(main?["shortNames"] == ["wd"])
            #expect(main?["categories"] == ["all", "gadgets"])
            let condition1 = resources.contains { $0["name"] == "widgets/status" }
            #expect(condition1)
            let condition2 = resources.contains { $0["name"] == "widgets/scale" }
            #expect(condition2)
        }
    }

    @Test func customResourcesGetSchemaDefaultsAndSubresources() async throws {
        try await ServerHarness.with { h async throws in
            _ = try await h.post(Self.crds, Fixtures.widgetCRD)
            var w = Fixtures.widget("w1")
            w["spec"]["parts"] = [["name": "a"], ["weight": 5]]
            w["spec"]["bogus"] = "dropped"
            w["topLevelJunk"] = 1
            let created = try await h.post(Self.widgets, w)
            #expect(created.status == 201)
            #expect(created.json["spec"]["size"] == 3)
            #expect(created.json["spec"]["parts"][0]["weight"] == 1)
            #expect(created.json["spec"]["parts"][1]["weight"] == 5)
            #expect(created.json["apiVersion"] == "example.com/v1")
            // Structural pruning: unknown fields are dropped, as kube-apiserver does.
            #expect(created.json["spec"]["bogus"].isNull)
            #expect(created.json["topLevelJunk"].isNull)
            #expect(created.json["spec"]["parts"][0]["name"].isNull)

            // status subresource isolation for custom resources
            var s = created.json
            s["status"] = ["replicas": 1, "selector": "app=w1", "conditions": [["type": "Ready", "status": "True"]]]
            s["spec"]["size"] = 10
            let st = try await h.put("\(Self.widgets)/w1/status", s).json
            #expect(st["status"]["replicas"] == 1)
            #expect(st["spec"]["size"] == 3)

            let scale = try await h.get("\(Self.widgets)/w1/scale").json
            #expect(scale["spec"]["replicas"] == 1)
            #expect(scale["status"]["selector"] == "app=w1")
            let scaled = try await h.patch("\(Self.widgets)/w1/scale", ["spec": ["replicas": 4]])
            #expect(scaled.status == 200)
            #expect(try await h.get("\(Self.widgets)/w1").json["spec"]["replicas"] == 4)

            // Custom resources take merge and JSON patches, not strategic merge.
            let smp = try await h.patch("\(Self.widgets)/w1", ["spec": ["size": 1]], type: "application/strategic-merge-patch+json")
            #expect(smp.status == 415)
        }
    }

    @Test func tableResponsesUsePrinterColumns() async throws {
        try await ServerHarness.with { h async throws in
            _ = try await h.post(Self.crds, Fixtures.widgetCRD)
            _ = try await h.post(Self.widgets, Fixtures.widget("w1", size: 7))
            _ = try await h.patch("\(Self.widgets)/w1/status", ["status": ["conditions": [["type": "Synced", "status": "False"], ["type": "Ready", "status": "True"]]]])
            let accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
            let t = try await h.get(Self.widgets, headers: ["Accept": accept]).json
            #expect(t["kind"] == "Table")
            #expect(t["apiVersion"] == "meta.k8s.io/v1")
            let cols = (t["columnDefinitions"].arrayValue ?? []).compactMap { $0["name"].stringValue }
            #expect(cols == ["Name", "Size", "Ready", "Color", "Age"])
            let cells = t["rows"][0]["cells"].arrayValue ?? []
            #expect(cells.count == 5)
            #expect(cells[0] == "w1")
            #expect(cells[1] == 7)
            #expect(cells[2] == "True")
            #expect(cells[3] == "red")
            #expect(cells[4].stringValue?.hasSuffix("s") == true)
            #expect(t["rows"][0]["object"]["kind"] == "PartialObjectMetadata")

            let one = try await h.get("\(Self.widgets)/w1?includeObject=Object", headers: ["Accept": accept]).json
            #expect(one["rows"][0]["object"]["kind"] == "Widget")

            let deployTable = try await h.get("/apis/apps/v1/namespaces/default/deployments", headers: ["Accept": accept]).json
            #expect(deployTable["kind"] == "Table")
            let condition3 = (deployTable["columnDefinitions"].arrayValue ?? []).compactMap { $0["name"].stringValue } == ["Name", "Ready", "Up-to-date", "Available", "Age"]
            #expect(condition3)
        }
    }

    @Test func deletingTheCRDStopsServing() async throws {
        try await ServerHarness.with { h async throws in
            _ = try await h.post(Self.crds, Fixtures.widgetCRD)
            _ = try await h.post(Self.widgets, Fixtures.widget("w1"))
            #expect(try await h.delete("\(Self.crds)/widgets.example.com").status == 200)
            #expect(try await h.get(Self.widgets).status == 404)
            let groups = try await h.get("/apis").json["groups"].arrayValue ?? []
            let condition4 = !groups.contains { $0["name"] == "example.com" }
            #expect(condition4)
            // recreated: the old objects are gone
            _ = try await h.post(Self.crds, Fixtures.widgetCRD)
            #expect(try await h.get("\(Self.widgets)/w1").status == 404)
        }
    }

    @Test func crdDeletionWaitsForFinalizersOfItsResources() async throws {
        try await ServerHarness.with { h async throws in
            _ = try await h.post(Self.crds, Fixtures.widgetCRD)
            var w = Fixtures.widget("held")
            w["metadata"]["finalizers"] = ["example.com/cleanup"]
            _ = try await h.post(Self.widgets, w)
            #expect(try await h.delete("\(Self.crds)/widgets.example.com").status == 200)
            let crd = try await h.get("\(Self.crds)/widgets.example.com").json
            #expect(crd.deletionTimestamp != nil)
            #expect(crd.finalizers.contains("customresourcecleanup.apiextensions.k8s.io"))
            let condition5 = (crd["status"]["conditions"].arrayValue ?? []).contains { $0["type"] == "Terminating" && $0["status"] == "True" }
            #expect(condition5)
            #expect(try await h.get("\(Self.widgets)/held").json.deletionTimestamp != nil)
            #expect(try await h.post(Self.widgets, Fixtures.widget("new")).status == 405)

            _ = try await h.patch("\(Self.widgets)/held", ["metadata": ["finalizers": nil]])
            #expect(try await h.get("\(Self.crds)/widgets.example.com").status == 404)
            #expect(try await h.get(Self.widgets).status == 404)
        }
    }

    @Test func strictFieldValidationRefusesUnknownFields() async throws {
        try await ServerHarness.with { h async throws in
            _ = try await h.post(Self.crds, Fixtures.widgetCRD)
            var w = Fixtures.widget("w1")
            w["spec"]["bogus"] = "x"
            w["spec"]["parts"] = [["weight": 1, "nme": "a"]]
            // kubectl's default (--validate=strict): refused, naming every unknown field.
            let strict = try await h.post(Self.widgets + "?fieldValidation=Strict", w)
            #expect(strict.status == 400)
            #expect(strict.json["reason"] == "BadRequest")
            #expect(strict.json["message"].stringValue == "Widget in version \"v1\" cannot be handled as a Widget: strict decoding error: "
                + "unknown field \"spec.bogus\", unknown field \"spec.parts[0].nme\"")
            #expect(try await h.get("\(Self.widgets)/w1").status == 404)
            // Without it (or Ignore / Warn), the fields are pruned.
            let lax = try await h.post(Self.widgets + "?fieldValidation=Ignore", w)
            #expect(lax.status == 201)
            #expect(lax.json["spec"]["bogus"].isNull)
        }
    }

    @Test func customResourcesAreValidatedAgainstTheSchema() async throws {
        try await ServerHarness.with { h async throws in
            _ = try await h.post(Self.crds, Fixtures.widgetCRD)
            var w = Fixtures.widget("w1")
            w["spec"]["size"] = "big"
            let r = try await h.post(Self.widgets, w)
            #expect(r.status == 422)
            #expect(r.json["reason"] == "Invalid")
            #expect(r.json["details"]["causes"][0]["field"] == "spec.size")
            #expect(r.json["message"].stringValue?.contains("spec.size in body must be of type integer") == true)
            #expect(try await h.get("\(Self.widgets)/w1").status == 404)
        }
    }

    @Test func invalidCRDIsRejected() async throws {
        try await ServerHarness.with { h async throws in
            var bad = Fixtures.widgetCRD
            bad["metadata"]["name"] = "wrong.example.com"
            let r = try await h.post(Self.crds, bad)
            #expect(r.status == 422)
            #expect(r.json["details"]["causes"][0]["field"] == "metadata.name")
        }
    }
}

import KubeCore
import KubeTestServer
import Testing

@Suite("KubeTestServer verbs", .timeLimit(.minutes(1)))
struct VerbConformanceTests {
    static let cms = "/api/v1/namespaces/default/configmaps"

    func seed(_ h: ServerHarness) async throws {
        let labels: [(String, [String: String])] = [
            ("a", ["app": "web", "tier": "front"]), ("b", ["app": "web", "tier": "back"]),
            ("c", ["app": "db"]), ("d", [:]),
        ]
        for (name, l) in labels { _ = try await h.post(Self.cms, Fixtures.configMap(name, labels: l)) }
    }

    func names(_ h: ServerHarness, _ query: String, path: String = cms) async throws -> [String] {
        let r = try await h.get("\(path)?\(query)")
        #expect(r.status == 200, "\(query): \(r.raw)")
        return (r.json["items"].arrayValue ?? []).compactMap(\.name)
    }

    @Test func listWithLabelSelectors() async throws {
        try await ServerHarness.with { h async throws in
            try await seed(h)
            #expect(try await names(h, "labelSelector=app%3Dweb") == ["a", "b"])
            #expect(try await names(h, "labelSelector=app%3D%3Dweb") == ["a", "b"])
            #expect(try await names(h, "labelSelector=app!%3Dweb") == ["c", "d"])
            #expect(try await names(h, "labelSelector=tier%20in%20(front,side)") == ["a"])
            #expect(try await names(h, "labelSelector=app%20notin%20(web)") == ["c", "d"])
            #expect(try await names(h, "labelSelector=tier") == ["a", "b"])
            #expect(try await names(h, "labelSelector=!tier") == ["c", "d"])
            #expect(try await names(h, "labelSelector=app%3Dweb,tier%3Dback") == ["b"])
            let bad = try await h.get("\(Self.cms)?labelSelector=app%20in%20web")
            #expect(bad.status == 400)
            let list = try await h.get(Self.cms).json
            #expect(list["kind"] == "ConfigMapList")
            #expect(list["apiVersion"] == "v1")
            #expect(list["metadata"]["resourceVersion"].stringValue != nil)
        }
    }

    @Test func listWithFieldSelectorsAcrossNamespaces() async throws {
        try await ServerHarness.with { h async throws in
            try await seed(h)
            _ = try await h.post("/api/v1/namespaces/kube-system/configmaps", Fixtures.configMap("a"))
            #expect(try await names(h, "fieldSelector=metadata.name%3Da", path: "/api/v1/configmaps") == ["a", "a"])
            let inSystem = try await h.get("/api/v1/configmaps?fieldSelector=metadata.namespace%3Dkube-system").json
            #expect((inSystem["items"].arrayValue ?? []).compactMap(\.namespace) == ["kube-system"])
            #expect(try await names(h, "fieldSelector=metadata.name!%3Da") == ["b", "c", "d"])
            let unknown = try await h.get("\(Self.cms)?fieldSelector=spec.foo%3Dx")
            #expect(unknown.status == 400)
        }
    }

    @Test func listPagesWithLimitAndContinue() async throws {
        try await ServerHarness.with { h async throws in
            for i in 0..<7 { _ = try await h.post(Self.cms, Fixtures.configMap("cm-\(i)")) }
            var seen: [String] = []
            var token: String?
            var pages = 0
            repeat {
                let q = "limit=3" + (token.map { "&continue=\($0)" } ?? "")
                let page = try await h.get("\(Self.cms)?\(q)").json
                let items = (page["items"].arrayValue ?? []).compactMap(\.name)
                #expect(items.count <= 3)
                seen += items
                token = page["metadata"]["continue"].stringValue
                if token != nil { #expect(page["metadata"]["remainingItemCount"].intValue == 7 - seen.count) }
                pages += 1
            } while token != nil && pages < 10
            #expect(pages == 3)
            let condition1 = seen == (0..<7).map { "cm-\($0)" }
            #expect(condition1)
            let bad = try await h.get("\(Self.cms)?limit=2&continue=garbage!")
            #expect(bad.status == 400)
        }
    }

    @Test func mergeJSONAndStrategicPatches() async throws {
        try await ServerHarness.with { h async throws in
            let path = "/apis/apps/v1/namespaces/default/deployments/web"
            _ = try await h.post("/apis/apps/v1/namespaces/default/deployments", Fixtures.deployment("web"))

            let merged = try await h.patch(path, ["metadata": ["labels": ["a": "1"]], "spec": ["replicas": 2]])
            #expect(merged.status == 200)
            #expect(merged.json.labels["a"] == "1")
            #expect(merged.json["spec"]["replicas"] == 2)

            let ops: JSONValue = [
                ["op": "test", "path": "/spec/replicas", "value": 2],
                ["op": "replace", "path": "/spec/replicas", "value": 4],
            ]
            let jp = try await h.patch(path, ops, type: "application/json-patch+json")
            #expect(jp.status == 200)
            #expect(jp.json["spec"]["replicas"] == 4)

            let failing: JSONValue = [["op": "test", "path": "/spec/replicas", "value": 99], ["op": "replace", "path": "/spec/replicas", "value": 1]]
            let failed = try await h.patch(path, failing, type: "application/json-patch+json")
            #expect(failed.status == 422)
            #expect(failed.json["kind"] == "Status")
            #expect(try await h.get(path).json["spec"]["replicas"] == 4)

            // Strategic merge: containers merge by name, env by name.
            let smp: JSONValue = ["spec": ["template": ["spec": ["containers": [
                ["name": "sidecar", "image": "envoy:1"],
                ["name": "app", "env": [["name": "B", "value": "2"]]],
            ]]]]]
            let s = try await h.patch(path, smp, type: "application/strategic-merge-patch+json")
            #expect(s.status == 200, "\(s.raw)")
            let containers = s.json["spec"]["template"]["spec"]["containers"].arrayValue ?? []
            let condition2 = Set(containers.compactMap { $0["name"].stringValue }) == ["app", "sidecar"]
            #expect(condition2)
            let app = containers.first { $0["name"] == "app" }
            #expect(app?["image"] == "nginx:1.25")
            let condition3 = Set((app?["env"].arrayValue ?? []).compactMap { $0["name"].stringValue }) == ["A", "B"]
            #expect(condition3)

            // A merge patch carrying a stale resourceVersion conflicts.
            let stale = try await h.patch(path, ["metadata": ["resourceVersion": "1"], "spec": ["replicas": 1]])
            #expect(stale.status == 409)

            let apply = try await h.patch(path, ["spec": ["replicas": 1]], type: "application/apply-patch+yaml")
            #expect(apply.status == 415)
            #expect(apply.json["message"].stringValue?.contains("server-side apply") == true)

            let missing = try await h.patch("/apis/apps/v1/namespaces/default/deployments/none", ["spec": ["replicas": 1]])
            #expect(missing.status == 404)
        }
    }

    @Test func deleteWithPreconditionsAndDryRun() async throws {
        try await ServerHarness.with { h async throws in
            let created = try await h.post(Self.cms, Fixtures.configMap("x")).json
            let path = "\(Self.cms)/x"
            let wrongUID = try await h.delete(path, ["kind": "DeleteOptions", "apiVersion": "v1", "preconditions": ["uid": "nope"]])
            #expect(wrongUID.status == 409)
            #expect(wrongUID.json["message"].stringValue?.contains("Precondition failed: UID in precondition: nope") == true)
            let wrongRV = try await h.delete(path, ["preconditions": ["resourceVersion": "1"]])
            #expect(wrongRV.status == 409)

            let dry = try await h.request("DELETE", "\(path)?dryRun=All")
            #expect(dry.status == 200)
            #expect(try await h.get(path).status == 200)
            let dryCreate = try await h.request("POST", "\(Self.cms)?dryRun=All", body: Fixtures.configMap("y"))
            #expect(dryCreate.status == 201)
            #expect(try await h.get("\(Self.cms)/y").status == 404)

            let ok = try await h.delete(path, ["preconditions": ["uid": created["metadata"]["uid"], "resourceVersion": created["metadata"]["resourceVersion"]]])
            #expect(ok.status == 200)
            #expect(ok.json["kind"] == "Status")
            #expect(ok.json["status"] == "Success")
            #expect(ok.json["details"]["uid"] == created["metadata"]["uid"])
            #expect(try await h.get(path).status == 404)
            #expect(try await h.delete(path).status == 404)
        }
    }

    @Test func deleteCollectionBySelector() async throws {
        try await ServerHarness.with { h async throws in
            try await seed(h)
            let r = try await h.request("DELETE", "\(Self.cms)?labelSelector=app%3Dweb")
            #expect(r.status == 200)
            #expect(try await names(h, "") == ["c", "d"])
        }
    }

    @Test func secretsTakeStringData() async throws {
        try await ServerHarness.with { h async throws in
            let r = try await h.post("/api/v1/namespaces/default/secrets", ["metadata": ["name": "s"], "stringData": ["password": "hunter2"]])
            #expect(r.status == 201)
            #expect(r.json["data"]["password"] == "aHVudGVyMg==")
            #expect(r.json["stringData"].isNull)
            #expect(r.json["type"] == "Opaque")
        }
    }

    @Test func yamlBodiesAreAccepted() async throws {
        try await ServerHarness.with { h async throws in
            let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  n: \"1\"\n"
            let r = try await h.request("POST", Self.cms, rawBody: yaml, contentType: "application/yaml")
            #expect(r.status == 201)
            #expect(r.json["data"]["n"] == "1")
        }
    }
}

import KubeCore
import KubeTestServer
import Testing

@Suite("KubeTestServer storage", .timeLimit(.minutes(1)))
struct StorageConformanceTests {
    @Test func createSetsServerMetadataAndDefaultsNamespaceFromURL() async throws {
        try await ServerHarness.with { h async throws in
            let r = try await h.post("/api/v1/namespaces/default/configmaps", Fixtures.configMap("a"))
            #expect(r.status == 201)
            let o = r.json
            #expect(o.namespace == "default")
            #expect((o.uid ?? "").count == 36)
            #expect(o["metadata"]["creationTimestamp"].stringValue?.hasSuffix("Z") == true)
            #expect(o.generation == 1)
            let rv1 = Int(o.resourceVersion ?? "") ?? 0
            let b = try await h.post("/api/v1/namespaces/default/configmaps", Fixtures.configMap("b"))
            let rv2 = Int(b.json.resourceVersion ?? "") ?? 0
            #expect(rv1 > 0 && rv2 > rv1)
            // A namespace in the body that disagrees with the URL is a bad request.
            var other = Fixtures.configMap("c")
            other["metadata"]["namespace"] = "kube-system"
            let bad = try await h.post("/api/v1/namespaces/default/configmaps", other)
            #expect(bad.status == 400)
            #expect(bad.json["kind"] == "Status")
        }
    }

    @Test func errorsAreStatusObjects() async throws {
        try await ServerHarness.with { h async throws in
            let missing = try await h.get("/apis/apps/v1/namespaces/default/deployments/nope")
            #expect(missing.status == 404)
            #expect(missing.json["kind"] == "Status")
            #expect(missing.json["status"] == "Failure")
            #expect(missing.json["reason"] == "NotFound")
            #expect(missing.json["message"] == "deployments.apps \"nope\" not found")
            #expect(missing.json["details"]["group"] == "apps")
            #expect(missing.json["details"]["kind"] == "deployments")

            _ = try await h.post("/api/v1/namespaces/default/configmaps", Fixtures.configMap("dup"))
            let dup = try await h.post("/api/v1/namespaces/default/configmaps", Fixtures.configMap("dup"))
            #expect(dup.status == 409)
            #expect(dup.json["reason"] == "AlreadyExists")
            #expect(dup.json["message"] == "configmaps \"dup\" already exists")

            let noNS = try await h.post("/api/v1/namespaces/ghost/configmaps", Fixtures.configMap("x"))
            #expect(noNS.status == 404)
            #expect(noNS.json["message"] == "namespaces \"ghost\" not found")

            let invalid = try await h.post("/api/v1/namespaces/default/configmaps", Fixtures.configMap("Bad_Name"))
            #expect(invalid.status == 422)
            #expect(invalid.json["reason"] == "Invalid")
            #expect(invalid.json["details"]["kind"] == "ConfigMap")
            let cause = invalid.json["details"]["causes"][0]
            #expect(cause["field"] == "metadata.name")
            #expect(cause["reason"] == "FieldValueInvalid")
            #expect(invalid.json["message"].stringValue?.hasPrefix("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\"") == true)

            let badLabel = try await h.post("/api/v1/namespaces/default/configmaps", Fixtures.configMap("l", labels: ["app": "not valid!"]))
            #expect(badLabel.status == 422)
            #expect(badLabel.json["details"]["causes"][0]["field"] == "metadata.labels")

            let garbage = try await h.request("POST", "/api/v1/namespaces/default/configmaps", rawBody: "{not json")
            #expect(garbage.status == 400)
            #expect(garbage.json["reason"] == "BadRequest")

            let wrongMethod = try await h.request("PUT", "/api/v1/namespaces/default/configmaps", body: Fixtures.configMap("m"))
            #expect(wrongMethod.status == 405)

            let unknownType = try await h.request("POST", "/api/v1/namespaces/default/configmaps", rawBody: "x", contentType: "text/plain")
            #expect(unknownType.status == 415)
            #expect(unknownType.json["reason"] == "UnsupportedMediaType")
        }
    }

    @Test func generateNameProducesAUniqueName() async throws {
        try await ServerHarness.with { h async throws in
            let body: JSONValue = ["metadata": ["generateName": "job-"], "data": ["a": "b"]]
            let a = try await h.post("/api/v1/namespaces/default/configmaps", body)
            let b = try await h.post("/api/v1/namespaces/default/configmaps", body)
            #expect(a.status == 201 && b.status == 201)
            #expect(a.json.name?.hasPrefix("job-") == true && a.json.name?.count == 9)
            #expect(a.json.name != b.json.name)
            let none = try await h.post("/api/v1/namespaces/default/configmaps", ["data": ["a": "b"]])
            #expect(none.status == 422)
        }
    }

    @Test func staleUpdateConflictsAndGenerationTracksSpecOnly() async throws {
        try await ServerHarness.with { h async throws in
            let path = "/apis/apps/v1/namespaces/default/deployments"
            let created = try await h.post(path, Fixtures.deployment("web")).json
            #expect(created.generation == 1)
            #expect(created["spec"]["strategy"]["type"] == "RollingUpdate")  // kube's defaults

            var labelOnly = created
            labelOnly["metadata"]["labels"] = ["team": "a"]
            let afterLabel = try await h.put("\(path)/web", labelOnly)
            #expect(afterLabel.status == 200)
            #expect(afterLabel.json.generation == 1)
            #expect(afterLabel.json.resourceVersion != created.resourceVersion)

            var specChange = afterLabel.json
            specChange["spec"]["replicas"] = 3
            let afterSpec = try await h.put("\(path)/web", specChange)
            #expect(afterSpec.json.generation == 2)

            // The first object's resourceVersion is stale now.
            var stale = created
            stale["spec"]["replicas"] = 5
            let conflict = try await h.put("\(path)/web", stale)
            #expect(conflict.status == 409)
            #expect(conflict.json["reason"] == "Conflict")
            #expect(conflict.json["message"].stringValue?.contains("the object has been modified") == true)

            // An update that changes nothing keeps the resourceVersion (no write).
            let same = try await h.put("\(path)/web", afterSpec.json)
            #expect(same.json.resourceVersion == afterSpec.json.resourceVersion)

            let missing = try await h.put("\(path)/other", Fixtures.deployment("other"))
            #expect(missing.status == 404)
        }
    }

    @Test func statusSubresourceIsIsolated() async throws {
        try await ServerHarness.with { h async throws in
            let path = "/apis/apps/v1/namespaces/default/deployments/web"
            var d = try await h.post("/apis/apps/v1/namespaces/default/deployments", Fixtures.deployment("web")).json
            #expect(d["status"].isNull)

            // The main endpoint ignores status.
            d["status"] = ["replicas": 7]
            d["spec"]["replicas"] = 2
            let main = try await h.put(path, d).json
            #expect(main["status"]["replicas"].isNull)
            #expect(main["spec"]["replicas"] == 2)

            // /status ignores everything but status.
            var s = main
            s["status"] = ["replicas": 2, "readyReplicas": 1]
            s["spec"]["replicas"] = 9
            s["metadata"]["labels"] = ["sneaky": "yes"]
            let status = try await h.put("\(path)/status", s)
            #expect(status.status == 200)
            #expect(status.json["status"]["readyReplicas"] == 1)
            #expect(status.json["spec"]["replicas"] == 2)
            #expect(status.json.labels["sneaky"] == nil)
            #expect(status.json.generation == main.generation)

            let patched = try await h.patch("\(path)/status", ["status": ["availableReplicas": 1], "spec": ["replicas": 4]])
            #expect(patched.json["status"]["availableReplicas"] == 1)
            #expect(patched.json["spec"]["replicas"] == 2)

            // ConfigMaps have no status subresource.
            _ = try await h.post("/api/v1/namespaces/default/configmaps", Fixtures.configMap("c"))
            let none = try await h.get("/api/v1/namespaces/default/configmaps/c/status")
            #expect(none.status == 404)
        }
    }

    @Test func scaleSubresourceReadsAndWritesReplicas() async throws {
        try await ServerHarness.with { h async throws in
            let path = "/apis/apps/v1/namespaces/default/deployments/web"
            _ = try await h.post("/apis/apps/v1/namespaces/default/deployments", Fixtures.deployment("web", replicas: 2))
            let scale = try await h.get("\(path)/scale")
            #expect(scale.status == 200)
            #expect(scale.json["kind"] == "Scale")
            #expect(scale.json["apiVersion"] == "autoscaling/v1")
            #expect(scale.json["spec"]["replicas"] == 2)
            #expect(scale.json["status"]["selector"] == "app=web")

            var s = scale.json
            s["spec"]["replicas"] = 5
            let put = try await h.put("\(path)/scale", s)
            #expect(put.status == 200)
            #expect(put.json["spec"]["replicas"] == 5)
            #expect(try await h.get(path).json["spec"]["replicas"] == 5)

            let patched = try await h.patch("\(path)/scale", ["spec": ["replicas": 1]])
            #expect(patched.json["spec"]["replicas"] == 1)
            #expect(try await h.get(path).json.generation == 3)
        }
    }
}

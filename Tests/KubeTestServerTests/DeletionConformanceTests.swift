import KubeCore
import KubeTestServer
import Testing

@Suite("KubeTestServer deletion", .timeLimit(.minutes(1)))
struct DeletionConformanceTests {
    static let cms = "/api/v1/namespaces/default/configmaps"

    func owner(_ h: ServerHarness, _ name: String) async throws -> JSONValue {
        try await h.post("/apis/apps/v1/namespaces/default/deployments", Fixtures.deployment(name)).json
    }

    func dependent(_ h: ServerHarness, _ name: String, owners: [JSONValue], block: Bool = true) async throws {
        var cm = Fixtures.configMap(name)
        cm["metadata"]["ownerReferences"] = .array(owners.map {
            ["apiVersion": "apps/v1", "kind": "Deployment", "name": $0["metadata"]["name"], "uid": $0["metadata"]["uid"], "blockOwnerDeletion": .bool(block)]
        })
        let r = try await h.post(Self.cms, cm)
        #expect(r.status == 201)
    }

    @Test func finalizersHoldTheObjectUntilRemoved() async throws {
        try await ServerHarness.with { h async throws in
            var cm = Fixtures.configMap("held")
            cm["metadata"]["finalizers"] = ["example.com/cleanup"]
            _ = try await h.post(Self.cms, cm)
            let rv = try await h.get(Self.cms).json["metadata"]["resourceVersion"].stringValue!
            let w = try h.watch("\(Self.cms)?watch=true&resourceVersion=\(rv)")
            defer { w.stop() }

            let del = try await h.delete("\(Self.cms)/held")
            #expect(del.status == 200)
            #expect(del.json.deletionTimestamp != nil)
            let still = try await h.get("\(Self.cms)/held").json
            #expect(still.deletionTimestamp != nil)
            #expect(still["metadata"]["deletionGracePeriodSeconds"] == 0)
            #expect(await w.next()?.type == .modified)

            // New finalizers cannot be added while deleting.
            var more = still
            more["metadata"]["finalizers"] = ["example.com/cleanup", "example.com/other"]
            #expect(try await h.put("\(Self.cms)/held", more).status == 422)

            let removed = try await h.patch("\(Self.cms)/held", ["metadata": ["finalizers": nil]])
            #expect(removed.status == 200)
            #expect(try await h.get("\(Self.cms)/held").status == 404)
            let gone = await w.next()
            #expect(gone?.type == .deleted)
        }
    }

    @Test func backgroundDeletionCollectsDependents() async throws {
        try await ServerHarness.with { h async throws in
            let o = try await owner(h, "web")
            let other = try await owner(h, "api")
            try await dependent(h, "only-web", owners: [o])
            try await dependent(h, "shared", owners: [o, other])
            #expect(try await h.delete("/apis/apps/v1/namespaces/default/deployments/web").status == 200)
            #expect(try await h.get("\(Self.cms)/only-web").status == 404)
            let shared = try await h.get("\(Self.cms)/shared").json
            #expect(shared.ownerReferences.count == 1)
            #expect(shared.ownerReferences.first?["name"] == "api")
        }
    }

    @Test func orphanDeletionKeepsDependentsWithoutTheReference() async throws {
        try await ServerHarness.with { h async throws in
            let o = try await owner(h, "web")
            try await dependent(h, "child", owners: [o])
            let r = try await h.delete("/apis/apps/v1/namespaces/default/deployments/web", ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Orphan"])
            #expect(r.status == 200)
            #expect(try await h.get("/apis/apps/v1/namespaces/default/deployments/web").status == 404)
            let child = try await h.get("\(Self.cms)/child")
            #expect(child.status == 200)
            #expect(child.json.ownerReferences.isEmpty)
        }
    }

    @Test func foregroundDeletionWaitsForDependents() async throws {
        try await ServerHarness.with { h async throws in
            let o = try await owner(h, "web")
            var cm = Fixtures.configMap("slow")
            cm["metadata"]["finalizers"] = ["example.com/hold"]
            cm["metadata"]["ownerReferences"] = [["apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": o["metadata"]["uid"], "blockOwnerDeletion": true]]
            _ = try await h.post(Self.cms, cm)
            let path = "/apis/apps/v1/namespaces/default/deployments/web"
            let r = try await h.delete(path, ["propagationPolicy": "Foreground"])
            #expect(r.status == 200)
            let waiting = try await h.get(path).json
            #expect(waiting.deletionTimestamp != nil)
            #expect(waiting.finalizers.contains("foregroundDeletion"))
            let dep = try await h.get("\(Self.cms)/slow").json
            #expect(dep.deletionTimestamp != nil)

            _ = try await h.patch("\(Self.cms)/slow", ["metadata": ["finalizers": nil]])
            #expect(try await h.get("\(Self.cms)/slow").status == 404)
            #expect(try await h.get(path).status == 404)
        }
    }

    @Test func dependentOfAMissingOwnerIsCollected() async throws {
        try await ServerHarness.with { h async throws in
            var cm = Fixtures.configMap("stray")
            cm["metadata"]["ownerReferences"] = [["apiVersion": "apps/v1", "kind": "Deployment", "name": "ghost", "uid": "00000000-0000-0000-0000-000000000000"]]
            #expect(try await h.post(Self.cms, cm).status == 201)
            var gone = false
            for _ in 0..<50 where !gone {
                try await Task.sleep(for: .milliseconds(50))
                gone = try await h.get("\(Self.cms)/stray").status == 404
            }
            #expect(gone)
        }
    }

    @Test func deletingANamespaceDeletesItsObjects() async throws {
        try await ServerHarness.with { h async throws in
            #expect(try await h.post("/api/v1/namespaces", ["metadata": ["name": "team"]]).status == 201)
            #expect(try await h.post("/api/v1/namespaces/team/configmaps", Fixtures.configMap("x")).status == 201)
            #expect(try await h.delete("/api/v1/namespaces/team").status == 200)
            #expect(try await h.get("/api/v1/namespaces/team/configmaps/x").status == 404)
            #expect(try await h.post("/api/v1/namespaces/team/configmaps", Fixtures.configMap("y")).status == 404)
        }
    }

    @Test func namespaceStaysTerminatingWhileContentIsHeld() async throws {
        try await ServerHarness.with { h async throws in
            _ = try await h.post("/api/v1/namespaces", ["metadata": ["name": "team"]])
            var cm = Fixtures.configMap("held")
            cm["metadata"]["finalizers"] = ["example.com/hold"]
            _ = try await h.post("/api/v1/namespaces/team/configmaps", cm)
            #expect(try await h.delete("/api/v1/namespaces/team").status == 200)
            let ns = try await h.get("/api/v1/namespaces/team").json
            #expect(ns["status"]["phase"] == "Terminating")
            #expect(ns.deletionTimestamp != nil)
            let refused = try await h.post("/api/v1/namespaces/team/configmaps", Fixtures.configMap("new"))
            #expect(refused.status == 403)
            #expect(refused.json["reason"] == "Forbidden")
            _ = try await h.patch("/api/v1/namespaces/team/configmaps/held", ["metadata": ["finalizers": nil]])
            #expect(try await h.get("/api/v1/namespaces/team").status == 404)
        }
    }
}

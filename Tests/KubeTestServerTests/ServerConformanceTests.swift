import Foundation
import KubeCore
import KubeTestServer
import Testing

@Suite("KubeTestServer discovery, auth, faults", .timeLimit(.minutes(1)))
struct ServerConformanceTests {
    @Test func discoveryListsBuiltinsForKubectl() async throws {
        try await ServerHarness.with { h async throws in
            let api = try await h.get("/api").json
            #expect(api["kind"] == "APIVersions")
            #expect(api["versions"] == ["v1"])
            let core = try await h.get("/api/v1").json
            #expect(core["kind"] == "APIResourceList")
            #expect(core["groupVersion"] == "v1")
            let resources = core["resources"].arrayValue ?? []
            let pods = resources.first { $0["name"] == "pods" }
            #expect(pods?["shortNames"] == ["po"])
            #expect(pods?["namespaced"] == true)
            #expect(pods?["verbs"].arrayValue?.contains("watch") == true)
            let condition1 = resources.first { $0["name"] == "namespaces" }?["namespaced"] == false
            #expect(condition1)

            // kubectl 1.32 asks for aggregated discovery first; plain JSON lists make it fall back.
            let aggregated = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
            let groups = try await h.get("/apis", headers: ["Accept": aggregated])
            #expect(groups.headers["content-type"] == "application/json")
            #expect(groups.json["kind"] == "APIGroupList")
            let names = Set((groups.json["groups"].arrayValue ?? []).compactMap { $0["name"].stringValue })
            #expect(names.isSuperset(of: ["apps", "autoscaling", "coordination.k8s.io", "networking.k8s.io", "apiextensions.k8s.io", "events.k8s.io"]))

            let apps = try await h.get("/apis/apps/v1").json["resources"].arrayValue ?? []
            let condition2 = apps.contains { $0["name"] == "deployments/status" }
            #expect(condition2)
            let scale = apps.first { $0["name"] == "deployments/scale" }
            #expect(scale?["kind"] == "Scale")
            #expect(scale?["group"] == "autoscaling")
            let condition3 = apps.first { $0["name"] == "deployments" }?["shortNames"] == ["deploy"]
            #expect(condition3)
            #expect(try await h.get("/apis/nope.example.com/v1").status == 404)
        }
    }

    @Test func builtinKindsAreServed() async throws {
        try await ServerHarness.with { h async throws in
            let paths = [
                "/api/v1/namespaces/default/pods", "/api/v1/namespaces/default/services", "/api/v1/namespaces/default/secrets",
                "/api/v1/namespaces/default/events", "/apis/events.k8s.io/v1/namespaces/default/events",
                "/apis/apps/v1/namespaces/default/replicasets", "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers",
                "/apis/coordination.k8s.io/v1/namespaces/default/leases", "/apis/networking.k8s.io/v1/namespaces/default/ingresses",
                "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            ]
            for p in paths {
                let r = try await h.get(p)
                #expect(r.status == 200, "\(p)")
                #expect(r.json["kind"].stringValue?.hasSuffix("List") == true, "\(p)")
            }
            let lease: JSONValue = ["metadata": ["name": "leader"], "spec": ["holderIdentity": "me", "leaseDurationSeconds": 15]]
            #expect(try await h.post("/apis/coordination.k8s.io/v1/namespaces/default/leases", lease).status == 201)
            let svc: JSONValue = ["metadata": ["name": "web"], "spec": ["selector": ["app": "web"], "ports": [["port": 80]]]]
            let s = try await h.post("/api/v1/namespaces/default/services", svc).json
            #expect(s["spec"]["ports"][0]["targetPort"] == 80)
            #expect(s["spec"]["clusterIP"].stringValue != nil)
        }
    }

    @Test func eventsAreOneResourceUnderTwoGroups() async throws {
        try await ServerHarness.with { h async throws in
            let v1: JSONValue = [
                "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": ["name": "e1"],
                "regarding": ["kind": "Deployment", "name": "web", "namespace": "default"], "note": "Advance weight 10 → 15",
                "reason": "Progressing", "type": "Normal", "reportingController": "serin", "reportingInstance": "serin-0",
                "action": "Advance", "eventTime": "2026-01-01T00:00:00.000000Z",
            ]
            #expect(try await h.post("/apis/events.k8s.io/v1/namespaces/default/events", v1).status == 201)
            let core = try await h.get("/api/v1/namespaces/default/events/e1").json
            #expect(core["apiVersion"] == "v1")
            #expect(core["message"] == "Advance weight 10 → 15")
            #expect(core["involvedObject"]["name"] == "web")
            #expect(core["reportingComponent"] == "serin")
            #expect(core["note"].isNull)

            let coreEvent: JSONValue = [
                "metadata": ["name": "e2"], "involvedObject": ["kind": "Canary", "name": "podinfo"], "message": "Halt",
                "reason": "Halted", "type": "Warning", "source": ["component": "serin"], "count": 2,
            ]
            #expect(try await h.post("/api/v1/namespaces/default/events", coreEvent).status == 201)
            let seen = try await h.get("/apis/events.k8s.io/v1/namespaces/default/events/e2").json
            #expect(seen["apiVersion"] == "events.k8s.io/v1")
            #expect(seen["note"] == "Halt")
            #expect(seen["regarding"]["name"] == "podinfo")
            #expect(seen["reportingController"] == "serin")
            #expect(seen["deprecatedCount"] == 2)
            let byRegarding = try await h.get("/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3Dpodinfo").json
            #expect((byRegarding["items"].arrayValue ?? []).compactMap(\.name) == ["e2"])

            let table = try await h.get("/api/v1/namespaces/default/events", headers: ["Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"]).json
            let condition4 = (table["columnDefinitions"].arrayValue ?? []).compactMap { $0["name"].stringValue } == ["Last Seen", "Type", "Reason", "Object", "Message"]
            #expect(condition4)
            let rows = table["rows"].arrayValue ?? []
            #expect(rows.count == 2)
            let condition5 = rows.contains { $0["cells"][3] == "canary/podinfo" && $0["cells"][4] == "Halt" }
            #expect(condition5)
            let condition6 = rows.allSatisfy { $0["cells"][0] != "<unknown>" }
            #expect(condition6)
        }
    }

    @Test func bearerTokenIsRequired() async throws {
        try await ServerHarness.with { h async throws in
            let none = try await h.request("GET", "/api/v1/namespaces", token: "")
            #expect(none.status == 401)
            #expect(none.json["kind"] == "Status")
            #expect(none.json["reason"] == "Unauthorized")
            let wrong = try await h.request("GET", "/api/v1/namespaces", token: "wrong")
            #expect(wrong.status == 401)
            #expect(try await h.get("/api/v1/namespaces").status == 200)
        }
    }

    @Test func plainHTTPModeAndOpenMode() async throws {
        try await ServerHarness.with({ $0.tls = false }) { h async throws in
            #expect(h.server.url.hasPrefix("http://127.0.0.1:"))
            #expect(h.server.caCertificatePEM.isEmpty)
            #expect(try await h.request("GET", "/version", token: "").status == 401)
            #expect(try await h.get("/version").status == 200)
        }
        try await ServerHarness.with({
            $0.tls = false
            $0.token = ""
        }) { h async throws in
            #expect(try await h.request("GET", "/version", token: "").status == 200)
        }
    }

    @Test func kubeconfigPointsAtTheServer() async throws {
        try await ServerHarness.with { h async throws in
            let path = NSTemporaryDirectory() + "kubeconfig-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try h.server.writeKubeconfig(to: path, context: "ctx")
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.contains("server: \(h.server.url)"))
            #expect(text.contains("token: \(h.server.token)"))
            #expect(text.contains("current-context: ctx"))
            #expect(text.contains("namespace: default"))
            let b64 = Data(h.server.caCertificatePEM.utf8).base64EncodedString()
            #expect(text.contains("certificate-authority-data: \(b64)"))
            #expect(h.server.caCertificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        }
    }

    @Test func injectedFaultsAnswerWithStatusBodies() async throws {
        try await ServerHarness.with { h async throws in
            let faults = h.server.faults
            faults.failNext(1, status: 429, verb: "list", resource: "configmaps", retryAfterSeconds: 3)
            let throttled = try await h.get("/api/v1/namespaces/default/configmaps")
            #expect(throttled.status == 429)
            #expect(throttled.headers["retry-after"] == "3")
            #expect(throttled.json["reason"] == "TooManyRequests")
            #expect(throttled.json["details"]["retryAfterSeconds"] == 3)
            #expect(try await h.get("/api/v1/namespaces/default/configmaps").status == 200)

            // Scoped to a verb: a get is not affected.
            faults.failNext(2, status: 500, verb: "create")
            #expect(try await h.get("/api/v1/namespaces/default").status == 200)
            let failed = try await h.post("/api/v1/namespaces/default/configmaps", Fixtures.configMap("a"))
            #expect(failed.status == 500)
            #expect(failed.json["kind"] == "Status")
            #expect(try await h.post("/api/v1/namespaces/default/configmaps", Fixtures.configMap("a")).status == 500)
            #expect(try await h.post("/api/v1/namespaces/default/configmaps", Fixtures.configMap("a")).status == 201)

            faults.failNext(1, status: 409, resource: "configmaps")
            let conflict = try await h.patch("/api/v1/namespaces/default/configmaps/a", ["data": ["x": "y"]])
            #expect(conflict.status == 409)
            #expect(conflict.json["reason"] == "Conflict")

            faults.delayNext(1, by: .milliseconds(600), verb: "get")
            let start = ContinuousClock.now
            #expect(try await h.get("/api/v1/namespaces/default/configmaps/a").status == 200)
            #expect(ContinuousClock.now - start >= .milliseconds(600))

            faults.failRandomly(fraction: 1.0, status: 503)
            #expect(try await h.get("/api/v1/namespaces/default/configmaps/a").status == 503)
            faults.stopFailingRandomly()
            #expect(try await h.get("/api/v1/namespaces/default/configmaps/a").status == 200)

            #expect(faults.requestCount(verb: "create", resource: "configmaps") == 3)
            #expect(faults.requestCount(verb: "list") == 2)
            #expect(faults.requestCount() >= 10)
        }
    }

    @Test func dropWatchesPeriodically() async throws {
        try await ServerHarness.with { h async throws in
            h.server.faults.dropWatchesEvery(.milliseconds(300))
            let w = try h.watch("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1")
            defer { w.stop() }
            #expect(await w.waitForEnd(within: .seconds(5)))
            h.server.faults.dropWatchesEvery(nil)
        }
    }
}

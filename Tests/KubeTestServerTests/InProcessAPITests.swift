import KubeCore
import KubeTestServer
import Testing

@Suite("KubeTestServer in-process API", .timeLimit(.minutes(1)))
struct InProcessAPITests {
    @Test func sameSemanticsAsTheRESTPath() async throws {
        try await ServerHarness.with { h async throws in
            let api = h.server.api
            // Each call must throw: the expectations below fail on nil.
            var missing: KubeAPIError?
            do { _ = try await api.get(.configMaps, namespace: "default", name: "nope") } catch let e as KubeAPIError { missing = e }
            #expect(missing?.isNotFound == true)
            #expect(missing?.status?.message == "configmaps \"nope\" not found")

            let created = try await api.create(.configMaps, namespace: "default", Fixtures.configMap("a"))
            var stale = created
            _ = try await api.patch(.configMaps, namespace: "default", name: "a", type: .merge, ["data": ["k": "2"]])
            stale["data"] = ["k": "3"]
            var conflict: KubeAPIError?
            do { _ = try await api.update(.configMaps, namespace: "default", stale) } catch let e as KubeAPIError { conflict = e }
            #expect(conflict?.isConflict == true)

            let list = try await api.list(.configMaps, namespace: "default", options: ListOptions(limit: 1))
            #expect(list.items.count == 1)
            let overHTTP = try await h.get("/api/v1/namespaces/default/configmaps/a").json
            #expect(overHTTP["data"]["k"] == "2")

            let deleted = try await api.delete(.configMaps, namespace: "default", name: "a")
            #expect(deleted["kind"] == "Status")
            #expect(deleted["status"] == "Success")

            let unknown = ResourceType(group: "nope.example.com", version: "v1", plural: "things", kind: "Thing")
            var notServed: KubeAPIError?
            do { _ = try await api.list(unknown, namespace: "default") } catch let e as KubeAPIError { notServed = e }
            #expect(notServed?.isNotFound == true)
        }
    }
}

import KubeCore
import KubeTestServer
import Testing

@Suite("KubeTestServer in-process API", .timeLimit(.minutes(1)))
struct InProcessAPITests {
    @Test func sameSemanticsAsTheRESTPath() async throws {
        try await ServerHarness.with { h async throws in
            let api = h.server.api
            let missing = await #expect(throws: KubeAPIError.self) {
                try await api.get(.configMaps, namespace: "default", name: "nope")
            }
            #expect(missing?.isNotFound == true)
            #expect(missing?.status?.message == "configmaps \"nope\" not found")

            let created = try await api.create(.configMaps, namespace: "default", Fixtures.configMap("a"))
            var stale = created
            _ = try await api.patch(.configMaps, namespace: "default", name: "a", type: .merge, ["data": ["k": "2"]])
            stale["data"] = ["k": "3"]
            let conflict = await #expect(throws: KubeAPIError.self) { try await api.update(.configMaps, namespace: "default", stale) }
            #expect(conflict?.isConflict == true)

            let list = try await api.list(.configMaps, namespace: "default", options: ListOptions(limit: 1))
            #expect(list.items.count == 1)
            let overHTTP = try await h.get("/api/v1/namespaces/default/configmaps/a").json
            #expect(overHTTP["data"]["k"] == "2")

            let deleted = try await api.delete(.configMaps, namespace: "default", name: "a")
            #expect(deleted["kind"] == "Status")
            #expect(deleted["status"] == "Success")

            let unknown = ResourceType(group: "nope.example.com", version: "v1", plural: "things", kind: "Thing")
            let notServed = await #expect(throws: KubeAPIError.self) { try await api.list(unknown, namespace: "default") }
            #expect(notServed?.isNotFound == true)
        }
    }
}

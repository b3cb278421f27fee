import KubeCore
import KubeTestServer
import Testing

@Suite("KubeTestServer smoke", .timeLimit(.minutes(1)))
struct SmokeTests {
    @Test func serverAnswersOverHTTPS() async throws {
        try await ServerHarness.with { h async throws in
            let v = try await h.get("/version")
            #expect(v.status == 200)
            #expect(v.json["major"] == "1")
            let ns = try await h.get("/api/v1/namespaces")
            #expect(ns.status == 200)
            #expect(ns.json["kind"] == "NamespaceList")
            let names = (ns.json["items"].arrayValue ?? []).compactMap(\.name)
            #expect(names.contains("default"))
            #expect(names.contains("kube-system"))
        }
    }
}

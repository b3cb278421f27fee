import KubeCore
import KubeTestServer
import Testing

@Suite("KubeTestServer at 10,000 objects", .timeLimit(.minutes(1)))
struct ScaleTests {
    @Test func tenThousandObjectsListPageAndWatch() async throws {
        try await ServerHarness.with { h async throws in
            let api = h.server.api
            let clock = ContinuousClock()
            let createTime = try await clock.measure {
                for i in 0..<10_000 {
                    _ = try await api.create(.configMaps, namespace: "default", Fixtures.configMap("cm-\(i)", labels: ["shard": String(i % 10)]))
                }
            }
            var listed = 0
            let listTime = try await clock.measure {
                let all = try await h.get("/api/v1/namespaces/default/configmaps")
                listed = all.json["items"].arrayValue?.count ?? 0
            }
            #expect(listed == 10_000)
            let selected = try await h.get("/api/v1/namespaces/default/configmaps?labelSelector=shard%3D3&limit=500").json
            #expect(selected["items"].arrayValue?.count == 500)
            #expect(selected["metadata"]["remainingItemCount"] == 500)
            let updateTime = try await clock.measure {
                for i in 0..<1_000 {
                    _ = try await api.patch(.configMaps, namespace: "default", name: "cm-\(i)", type: .merge, ["data": ["k": "v2"]])
                }
            }
            print("10k creates \(createTime), list \(listTime), 1k patches \(updateTime)")
            #expect(createTime < .seconds(40))  // generous: the suite runs in parallel with everything else
            #expect(listTime < .seconds(15))
        }
    }
}

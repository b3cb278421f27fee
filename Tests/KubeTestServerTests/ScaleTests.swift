import Foundation
import KubeCore
import KubeTestServer
import Testing

/// Store behaviour with many objects. 1,000 by default so that the suite does not starve the
/// timing-sensitive tests running beside it; SERIN_SCALE_OBJECTS=10000 for the full size.
@Suite("KubeTestServer with many objects", .timeLimit(.minutes(1)))
struct ScaleTests {
    static let count = ProcessInfo.processInfo.environment["SERIN_SCALE_OBJECTS"].flatMap { Int($0) } ?? 1_000

    @Test func manyObjectsListPageAndPatch() async throws {
        let n = Self.count
        try await ServerHarness.with { h async throws in
            let api = h.server.api
            let clock = ContinuousClock()
            let createTime = try await clock.measure {
                for i in 0..<n {
                    _ = try await api.create(.configMaps, namespace: "default", Fixtures.configMap("cm-\(i)", labels: ["shard": String(i % 10)]))
                }
            }
            var listed = 0
            let listTime = try await clock.measure {
                let all = try await h.get("/api/v1/namespaces/default/configmaps")
                listed = all.json["items"].arrayValue?.count ?? 0
            }
            #expect(listed == n)
            let selected = try await h.get("/api/v1/namespaces/default/configmaps?labelSelector=shard%3D3&limit=500").json
            #expect(selected["items"].arrayValue?.count == min(500, n / 10))
            #expect(selected["metadata"]["remainingItemCount"].intValue ?? 0 == max(0, n / 10 - 500))
            let updateTime = try await clock.measure {
                for i in 0..<min(1_000, n) {
                    _ = try await api.patch(.configMaps, namespace: "default", name: "cm-\(i)", type: .merge, ["data": ["k": "v2"]])
                }
            }
            print("\(n) creates \(createTime), list \(listTime), 1k patches \(updateTime)")
            #expect(createTime < .seconds(40))  // generous: the suite runs in parallel with everything else
            #expect(listTime < .seconds(15))
        }
    }
}

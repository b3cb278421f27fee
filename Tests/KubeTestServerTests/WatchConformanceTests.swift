import KubeCore
import KubeTestServer
import Testing

@Suite("KubeTestServer watch", .timeLimit(.minutes(1)))
struct WatchConformanceTests {
    static let cms = "/api/v1/namespaces/default/configmaps"

    @Test func watchFromNowSeesAddedModifiedDeletedWithLastState() async throws {
        try await ServerHarness.with { h async throws in
            _ = try await h.post(Self.cms, Fixtures.configMap("existing"))
            let rv = try await h.get(Self.cms).json["metadata"]["resourceVersion"].stringValue!
            let w = try h.watch("\(Self.cms)?watch=true&resourceVersion=\(rv)")
            defer { w.stop() }
            try await Task.sleep(for: .milliseconds(200))
            _ = try await h.post(Self.cms, Fixtures.configMap("n"))
            _ = try await h.patch("\(Self.cms)/n", ["data": ["k": "changed"]])
            _ = try await h.delete("\(Self.cms)/n")
            let added = await w.next()
            #expect(added?.type == .added)
            #expect(added?.object.name == "n")
            #expect(added?.object["kind"] == "ConfigMap")
            let modified = await w.next()
            #expect(modified?.type == .modified)
            #expect(modified?.object["data"]["k"] == "changed")
            let deleted = await w.next()
            #expect(deleted?.type == .deleted)
            #expect(deleted?.object["data"]["k"] == "changed")
            let a = Int(added?.object.resourceVersion ?? "") ?? 0
            let m = Int(modified?.object.resourceVersion ?? "") ?? 0
            let d = Int(deleted?.object.resourceVersion ?? "") ?? 0
            #expect(a < m && m < d)
        }
    }

    @Test func watchWithoutResourceVersionStartsWithSyntheticAdded() async throws {
        try await ServerHarness.with { h async throws in
            _ = try await h.post(Self.cms, Fixtures.configMap("one"))
            _ = try await h.post(Self.cms, Fixtures.configMap("two"))
            for query in ["watch=1", "watch=true&resourceVersion=0"] {
                let w = try h.watch("\(Self.cms)?\(query)")
                let first = await w.next()
                let second = await w.next()
                #expect(first?.type == .added && second?.type == .added)
                #expect(Set([first?.object.name, second?.object.name]) == ["one", "two"])
                w.stop()
            }
        }
    }

    @Test func resumeReplaysHistoryAndGoneWhenTooOld() async throws {
        try await ServerHarness.with({ $0.historyLimit = 5 }) { h async throws in
            let first = try await h.post(Self.cms, Fixtures.configMap("a")).json.resourceVersion!
            _ = try await h.post(Self.cms, Fixtures.configMap("b"))
            _ = try await h.post(Self.cms, Fixtures.configMap("c"))
            let w = try h.watch("\(Self.cms)?watch=true&resourceVersion=\(first)")
            #expect(await w.next()?.object.name == "b")
            #expect(await w.next()?.object.name == "c")
            w.stop()

            for i in 0..<10 { _ = try await h.post(Self.cms, Fixtures.configMap("x\(i)")) }
            let old = try h.watch("\(Self.cms)?watch=true&resourceVersion=\(first)")
            let e = await old.next()
            #expect(e?.type == .error)
            #expect(e?.object["kind"] == "Status")
            #expect(e?.object["code"] == 410)
            #expect(e?.object["reason"] == "Expired")
            #expect(await old.waitForEnd(within: .seconds(5)))

            let now = try await h.get(Self.cms).json["metadata"]["resourceVersion"].stringValue!
            h.server.faults.forgetHistory()
            _ = try await h.post(Self.cms, Fixtures.configMap("after"))
            let forgotten = try h.watch("\(Self.cms)?watch=true&resourceVersion=\(Int(now)! - 1)")
            #expect(await forgotten.next()?.object["code"] == 410)
        }
    }

    @Test func bookmarksWhenAskedAndTimeoutEndsStream() async throws {
        try await ServerHarness.with({ $0.bookmarkInterval = .milliseconds(200) }) { h async throws in
            let rv = try await h.get(Self.cms).json["metadata"]["resourceVersion"].stringValue!
            let w = try h.watch("\(Self.cms)?watch=true&allowWatchBookmarks=true&timeoutSeconds=2&resourceVersion=\(rv)")
            let b = await w.next(within: .seconds(3))
            #expect(b?.type == .bookmark)
            #expect(b?.object["kind"] == "ConfigMap")
            #expect(b?.object["metadata"]["resourceVersion"].stringValue != nil)
            #expect(b?.object["data"].isNull == true)
            #expect(await w.waitForEnd(within: .seconds(5)))

            let plain = try h.watch("\(Self.cms)?watch=true&timeoutSeconds=1&resourceVersion=\(rv)")
            #expect(await plain.next(within: .milliseconds(700)) == nil)
            #expect(await plain.waitForEnd(within: .seconds(5)))
        }
    }

    @Test func selectorWatchSeesObjectsEnterAndLeave() async throws {
        try await ServerHarness.with { h async throws in
            let rv = try await h.get(Self.cms).json["metadata"]["resourceVersion"].stringValue!
            let w = try h.watch("\(Self.cms)?watch=true&labelSelector=app%3Dweb&resourceVersion=\(rv)")
            defer { w.stop() }
            _ = try await h.post(Self.cms, Fixtures.configMap("other", labels: ["app": "db"]))
            _ = try await h.post(Self.cms, Fixtures.configMap("x", labels: ["app": "db"]))
            _ = try await h.patch("\(Self.cms)/x", ["metadata": ["labels": ["app": "web"]]])
            _ = try await h.patch("\(Self.cms)/x", ["metadata": ["labels": ["app": "db"]]])
            let enter = await w.next()
            #expect(enter?.type == .added)
            #expect(enter?.object.name == "x")
            let leave = await w.next()
            #expect(leave?.type == .deleted)
            #expect(leave?.object.name == "x")

            let fw = try h.watch("\(Self.cms)?watch=true&fieldSelector=metadata.name%3Dother&resourceVersion=\(rv)")
            defer { fw.stop() }
            let only = await fw.next()
            #expect(only?.object.name == "other")
        }
    }

    @Test func closeAllWatchesEndsStreams() async throws {
        try await ServerHarness.with { h async throws in
            _ = try await h.post(Self.cms, Fixtures.configMap("a"))
            let w = try h.watch("\(Self.cms)?watch=true")
            defer { w.stop() }
            #expect(await w.next()?.type == .added)  // the watch is registered
            h.server.faults.closeAllWatches()
            #expect(await w.waitForEnd(within: .seconds(5)))
        }
    }

    @Test func inProcessWatchMatchesHTTPSemantics() async throws {
        try await ServerHarness.with { h async throws in
            let api = h.server.api
            let events = try await api.watch(.configMaps, namespace: "default", options: WatchOptions(resourceVersion: "0", allowWatchBookmarks: false, timeoutSeconds: 5))
            _ = try await api.create(.configMaps, namespace: "default", Fixtures.configMap("via-api"))
            var it = events.makeAsyncIterator()
            let e = try await it.next()
            #expect(e?.type == .added)
            #expect(e?.object.name == "via-api")
            let viaHTTP = try await h.get("\(Self.cms)/via-api")
            #expect(viaHTTP.status == 200)
        }
    }
}

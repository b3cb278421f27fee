import Foundation
import KubeClient
import KubeCore
import KubeTestServer
import Testing
import SerinTestSupport

@testable import KubeRuntime

/// The informer against the test API server over real HTTPS, through `KubeClient`.
@Suite("Informer over HTTP", .timeLimit(.minutes(1)))
struct InformerHTTPTests {
    let fastBackoff = Backoff(initial: .milliseconds(100), maximum: .milliseconds(400), jitter: 0.2)

    @Test func listsInPagesThenWatchesChanges() async throws {
        try await HTTPEnvironment.with { env in
            for i in 0..<7 {
                _ = try await env.client.create(.configMaps, namespace: "default", configMap("cm\(i)", labels: ["t": "paged"]))
            }
            let informer = Informer(
                api: env.client, resource: .configMaps,
                options: InformerOptions(labelSelector: "t=paged", pageSize: 3, backoff: fastBackoff))
            let log = EventLog(await informer.subscribe())
            await informer.start()
            #expect(await informer.waitForSync(timeout: .seconds(10)))
            #expect(informer.store.count == 7)
            let stats = await informer.stats
            #expect(stats.lists == 1)
            #expect(stats.listPages == 3)
            let condition1 = await eventually { log.all.count == 7 }
            #expect(condition1)

            log.clear()
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("new", labels: ["t": "paged"]))
            _ = try await env.client.patch(
                .configMaps, namespace: "default", name: "cm1", type: .merge, ["data": ["k": "v"]])
            try await env.client.delete(.configMaps, namespace: "default", name: "cm2")
            let condition2 = await eventually { log.all.count == 3 }
            #expect(condition2)
            #expect(log.summary == ["added default/new", "updated default/cm1", "deleted default/cm2"])
            if case .updated(let old, let new) = log.all[1] {
                #expect(old["data"]["k"].isNull)
                #expect(new["data"]["k"] == "v")
            }
            #expect(informer.store.get(namespace: "default", name: "cm1")?["data"]["k"] == "v")
            #expect(informer.store.get(namespace: "default", name: "cm2") == nil)
            #expect(informer.store.count == 7)
            await informer.stop()
        }
    }

    @Test
    func resumesFromLastResourceVersionAfterWatchesClose() async throws {
        try await HTTPEnvironment.with { env in
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("a", labels: ["t": "resume"]))
            let informer = Informer(
                api: env.client, resource: .configMaps, options: InformerOptions(labelSelector: "t=resume", backoff: fastBackoff))
            let log = EventLog(await informer.subscribe())
            await informer.start()
            #expect(await informer.waitForSync(timeout: .seconds(10)))
            _ = await eventually { log.all.count == 1 }

            // A change seen through the watch proves the watch is registered, so the first close
            // below ends a live stream (each later round's change proves the same for the next).
            _ = try await env.client.patch(.configMaps, namespace: "default", name: "a", type: .merge, ["data": ["round": "0"]])
            let condition3 = await eventually { informer.store.get(namespace: "default", name: "a")?["data"]["round"].stringValue == "0" }
            #expect(condition3)
            for round in 1...3 {
                env.server.faults.closeAllWatches()
                _ = try await env.client.patch(
                    .configMaps, namespace: "default", name: "a", type: .merge, ["data": ["round": .string("\(round)")]])
                let condition4 = await eventually { informer.store.get(namespace: "default", name: "a")?["data"]["round"].stringValue == "\(round)" }
                #expect(condition4)
            }
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("b", labels: ["t": "resume"]))
            let condition5 = await eventually { informer.store.count == 2 }
            #expect(condition5)
            try await Task.sleep(for: .milliseconds(100))
            let stats = await informer.stats
            // Resumed, never re-listed; each change delivered exactly once.
            #expect(stats.lists == 1)
            #expect(stats.goneRelists == 0)
            #expect(stats.watches >= 4)
            #expect(log.summary == [
                "added default/a", "updated default/a", "updated default/a", "updated default/a", "updated default/a",
                "added default/b",
            ])
            let stored = try #require(informer.store.get(namespace: "default", name: "b"))
            #expect(await informer.lastResourceVersion().flatMap(Int.init) ?? 0 >= Int(stored.resourceVersion ?? "") ?? .max)
            await informer.stop()
        }
    }

    @Test
    func relistsOnGoneAndDeliversTheDifferences() async throws {
        try await HTTPEnvironment.with { env in
            for n in ["a", "b", "c"] {
                _ = try await env.client.create(.configMaps, namespace: "default", configMap(n, labels: ["t": "gone"]))
            }
            let informer = Informer(
                api: env.client, resource: .configMaps, options: InformerOptions(labelSelector: "t=gone", backoff: fastBackoff))
            let log = EventLog(await informer.subscribe())
            await informer.start()
            #expect(await informer.waitForSync(timeout: .seconds(10)))
            _ = await eventually { log.all.count == 3 }
            log.clear()

            // Disconnect the informer, change the world, and forget the history it would resume from.
            env.server.faults.failNext(10_000, status: 503, verb: "watch", resource: "configmaps")
            env.server.faults.closeAllWatches()
            try await Task.sleep(for: .milliseconds(50))
            try await env.client.delete(.configMaps, namespace: "default", name: "a")
            _ = try await env.client.patch(.configMaps, namespace: "default", name: "b", type: .merge, ["data": ["x": "1"]])
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("d", labels: ["t": "gone"]))
            env.server.faults.forgetHistory()
            env.server.faults.clear()

            let condition6 = await eventually { log.all.count >= 3 }
            #expect(condition6)
            try await Task.sleep(for: .milliseconds(200))
            #expect(Set(log.summary) == ["deleted default/a", "updated default/b", "added default/d"])
            #expect(log.all.count == 3)
            #expect(informer.store.keys.map(\.name) == ["b", "c", "d"])
            #expect(informer.store.get(namespace: "default", name: "b")?["data"]["x"] == "1")
            #expect(await informer.stats.goneRelists >= 1)

            // Watching goes on after the re-list.
            log.clear()
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("e", labels: ["t": "gone"]))
            let condition7 = await eventually { log.summary == ["added default/e"] }
            #expect(condition7)
            await informer.stop()
        }
    }

    @Test func resumesWithoutRelistWhenTheServerEndsWatches() async throws {
        try await HTTPEnvironment.with { env in
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("a", labels: ["t": "timeout"]))
            // The server ends every watch after 1 s (timeoutSeconds), as kube-apiserver does after minutes.
            let informer = Informer(
                api: env.client, resource: .configMaps,
                options: InformerOptions(labelSelector: "t=timeout", backoff: fastBackoff, watchTimeoutSeconds: 1...1))
            let log = EventLog(await informer.subscribe())
            await informer.start()
            #expect(await informer.waitForSync(timeout: .seconds(10)))
            _ = await eventually { log.all.count == 1 }
            for round in 1...2 {
                let watches = await informer.stats.watches
                let condition8 = await eventually { await informer.stats.watches > watches }
                #expect(condition8)
                _ = try await env.client.patch(
                    .configMaps, namespace: "default", name: "a", type: .merge, ["data": ["round": .string("\(round)")]])
                let condition9 = await eventually { informer.store.get(namespace: "default", name: "a")?["data"]["round"].stringValue == "\(round)" }
                #expect(condition9)
            }
            try await Task.sleep(for: .milliseconds(100))
            let stats = await informer.stats
            #expect(stats.lists == 1)
            #expect(stats.goneRelists == 0)
            #expect(stats.watches >= 3)
            #expect(log.summary == ["added default/a", "updated default/a", "updated default/a"])
            await informer.stop()
        }
    }

    @Test func relistsWhenResumeVersionIsGoneAndDeliversTheDifferences() async throws {
        try await HTTPEnvironment.with { env in
            for n in ["a", "b", "c"] {
                _ = try await env.client.create(.configMaps, namespace: "default", configMap(n, labels: ["t": "gone2"]))
            }
            let informer = Informer(
                api: env.client, resource: .configMaps,
                options: InformerOptions(labelSelector: "t=gone2", backoff: fastBackoff, watchTimeoutSeconds: 1...1))
            let log = EventLog(await informer.subscribe())
            await informer.start()
            #expect(await informer.waitForSync(timeout: .seconds(10)))
            _ = await eventually { log.all.count == 3 }
            log.clear()

            // Keep the informer disconnected (its watch ends after 1 s; re-watching fails), change
            // the world, then drop the history it would resume from.
            env.server.faults.failNext(10_000, status: 503, verb: "watch", resource: "configmaps")
            let condition10 = await eventually { await informer.stats.failures >= 1 }
            #expect(condition10)
            try await env.client.delete(.configMaps, namespace: "default", name: "a")
            _ = try await env.client.patch(.configMaps, namespace: "default", name: "b", type: .merge, ["data": ["x": "1"]])
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("d", labels: ["t": "gone2"]))
            env.server.faults.forgetHistory()
            env.server.faults.clear()

            let condition11 = await eventually { log.all.count >= 3 }
            #expect(condition11)
            try await Task.sleep(for: .milliseconds(200))
            #expect(Set(log.summary) == ["deleted default/a", "updated default/b", "added default/d"])
            #expect(log.all.count == 3)
            #expect(informer.store.keys.map(\.name) == ["b", "c", "d"])
            #expect(informer.store.get(namespace: "default", name: "b")?["data"]["x"] == "1")
            let stats = await informer.stats
            #expect(stats.goneRelists >= 1)
            #expect(stats.lists == 2)

            log.clear()
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("e", labels: ["t": "gone2"]))
            let condition12 = await eventually { log.summary == ["added default/e"] }
            #expect(condition12)
            await informer.stop()
        }
    }

    @Test func watchesOnlyTheConfiguredNamespaces() async throws {
        try await HTTPEnvironment.with { env in
            for ns in ["ns1", "ns2", "ns3"] {
                _ = try await env.client.create(.namespaces, namespace: nil, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]])
                _ = try await env.client.create(.configMaps, namespace: ns, configMap("x", namespace: ns, labels: ["t": "ns"]))
            }
            let informer = Informer(
                api: env.client, resource: .configMaps,
                options: InformerOptions(namespaces: ["ns1", "ns2"], labelSelector: "t=ns", backoff: fastBackoff))
            await informer.start()
            #expect(await informer.waitForSync(timeout: .seconds(10)))
            #expect(informer.store.keys.map(\.description) == ["ns1/x", "ns2/x"])
            _ = try await env.client.create(.configMaps, namespace: "ns3", configMap("y", namespace: "ns3", labels: ["t": "ns"]))
            _ = try await env.client.create(.configMaps, namespace: "ns2", configMap("y", namespace: "ns2", labels: ["t": "ns"]))
            let condition13 = await eventually { informer.store.count == 3 }
            #expect(condition13)
            try await Task.sleep(for: .milliseconds(100))
            #expect(informer.store.keys.map(\.description) == ["ns1/x", "ns2/x", "ns2/y"])
            await informer.stop()
        }
    }

    @Test func bookmarksAdvanceTheResumeVersion() async throws {
        try await HTTPEnvironment.with { env in
            let informer = Informer(api: env.client, resource: .configMaps, options: InformerOptions(labelSelector: "t=bm"))
            await informer.start()
            #expect(await informer.waitForSync(timeout: .seconds(10)))
            let listed = Int(await informer.lastResourceVersion() ?? "") ?? 0
            // Writes to another resource move the global resourceVersion; only bookmarks tell this watch.
            var last = 0
            for i in 0..<3 {
                let s = try await env.client.create(
                    .secrets, namespace: "default", ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": .string("s\(i)")]])
                last = Int(s.resourceVersion ?? "") ?? 0
            }
            let target = last
            #expect(target > listed)
            let condition14 = await eventually { (Int(await informer.lastResourceVersion() ?? "") ?? 0) >= target }
            #expect(condition14)
            #expect(informer.store.count == 0)
            await informer.stop()
        }
    }

    @Test func closureHandlersSeeEachKindOfChange() async throws {
        try await HTTPEnvironment.with { env in
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("h1", labels: ["t": "h"]))
            let informer = Informer(api: env.client, resource: .configMaps, options: InformerOptions(labelSelector: "t=h"))
            await informer.start()
            #expect(await informer.waitForSync(timeout: .seconds(10)))
            let seen = Box<[String]>([])
            let handler = await informer.addHandler(
                added: { o in seen.update { $0.append("+\(o.name ?? "")") } },
                updated: { old, new in seen.update { $0.append("~\(old["data"]["v"].stringValue ?? "-")>\(new["data"]["v"].stringValue ?? "-")") } },
                deleted: { o in seen.update { $0.append("-\(o.name ?? "")") } })
            _ = try await env.client.patch(.configMaps, namespace: "default", name: "h1", type: .merge, ["data": ["v": "2"]])
            try await env.client.delete(.configMaps, namespace: "default", name: "h1")
            let condition15 = await eventually { seen.value.count == 3 }
            #expect(condition15)
            #expect(seen.value == ["+h1", "~->2", "-h1"])
            handler.cancel()
            await informer.stop()
        }
    }

    @Test func backsOffAndRecoversWhenListFails() async throws {
        try await HTTPEnvironment.with { env in
            env.server.faults.failNext(3, status: 403, verb: "list", resource: "configmaps")
            let informer = Informer(api: env.client, resource: .configMaps, options: InformerOptions(backoff: fastBackoff))
            await informer.start()
            #expect(informer.hasSynced == false)
            #expect(await informer.waitForSync(timeout: .seconds(10)))
            #expect(await informer.stats.failures >= 3)
            await informer.stop()
        }
    }
}

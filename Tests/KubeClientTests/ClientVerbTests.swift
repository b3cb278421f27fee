import Foundation
import KubeClient
import KubeCore
import Testing
import SerinTestSupport

@Suite("KubeClient verbs over HTTPS")
struct ClientVerbTests {
    @Test func createGetListUpdatePatchDelete() async throws {
        try await withHarness { h, client in
            try await createNamespace(client, "verbs")
            let created = try await client.create(
                .configMaps, namespace: "verbs", configMap("one", namespace: "verbs", data: ["a": "1"], labels: ["app": "x"]))
            #expect(created.name == "one")
            #expect(created.uid?.isEmpty == false)
            let rv1 = try #require(created.resourceVersion)
            // Our writes are recorded under our field manager.
            let managers = (created["metadata"]["managedFields"].arrayValue ?? []).compactMap { $0["manager"].stringValue }
            if !managers.isEmpty { #expect(managers.contains("serin")) }

            _ = try await client.create(.configMaps, namespace: "verbs", configMap("two", namespace: "verbs", labels: ["app": "y"]))
            let got = try await client.get(.configMaps, namespace: "verbs", name: "one")
            #expect(got["data"]["a"] == "1")

            let byLabel = try await client.list(.configMaps, namespace: "verbs", options: ListOptions(labelSelector: "app=x"))
            #expect(byLabel.items.map(\.name) == ["one"])
            let byField = try await client.list(.configMaps, namespace: "verbs", options: ListOptions(fieldSelector: "metadata.name=two"))
            #expect(byField.items.map(\.name) == ["two"])
            let all = try await client.list(.configMaps, namespace: nil)
            #expect(Set(all.items.compactMap(\.name)).isSuperset(of: ["one", "two"]))

            var changed = got
            changed["data"]["a"] = "2"
            let updated = try await client.update(.configMaps, namespace: "verbs", changed)
            #expect(updated["data"]["a"] == "2")
            #expect(updated.resourceVersion != rv1)

            let merged = try await client.patch(.configMaps, namespace: "verbs", name: "one", type: .merge, ["data": ["b": "3"]])
            #expect(merged["data"] == ["a": "2", "b": "3"])
            let jsonPatched = try await client.patch(
                .configMaps, namespace: "verbs", name: "one", type: .json,
                [["op": "replace", "path": "/data/a", "value": "4"], ["op": "remove", "path": "/data/b"]])
            #expect(jsonPatched["data"] == ["a": "4"])
            let strategic = try await client.patch(
                .configMaps, namespace: "verbs", name: "one", type: .strategicMerge, ["metadata": ["labels": ["tier": "web"]]])
            #expect(strategic.labels == ["app": "x", "tier": "web"])

            let deleted = try await client.delete(.configMaps, namespace: "verbs", name: "one")
            #expect(deleted.isNull == false)
            let e = await caught(KubeAPIError.self) { _ = try await client.get(.configMaps, namespace: "verbs", name: "one") }
            #expect(e != nil, "expected KubeAPIError to be thrown")
            #expect(e?.isNotFound == true)
            #expect(e?.status?.reason == "NotFound")
            _ = h
        }
    }

    @Test func nilNamespaceUsesTheObjectsOrTheContextDefault() async throws {
        try await withHarness { h, client in
            #expect(client.config.namespace == "default")
            _ = try await client.create(.configMaps, namespace: nil, configMap("in-default", namespace: "default"))
            let got = try await client.get(.configMaps, namespace: nil, name: "in-default")
            #expect(got.namespace == "default")
            try await client.delete(.configMaps, namespace: nil, name: "in-default")
            _ = h
        }
    }

    @Test func conflictsAlreadyExistsAndPreconditions() async throws {
        try await withHarness { _, client in
            try await createNamespace(client, "cc")
            let first = try await client.create(.configMaps, namespace: "cc", configMap("c", namespace: "cc", data: ["v": "1"]))
            let dup = await caught(KubeAPIError.self) {
                try await client.create(.configMaps, namespace: "cc", configMap("c", namespace: "cc"))
            }
            #expect(dup != nil, "expected KubeAPIError to be thrown")
            #expect(dup?.isAlreadyExists == true)

            var a = first
            a["data"]["v"] = "2"
            _ = try await client.update(.configMaps, namespace: "cc", a)
            // A second writer still holding the old resourceVersion loses with 409.
            var b = first
            b["data"]["v"] = "3"
            let conflict = await caught(KubeAPIError.self) { _ = try await client.update(.configMaps, namespace: "cc", b) }
            #expect(conflict != nil, "expected KubeAPIError to be thrown")
            #expect(conflict?.isConflict == true)
            #expect(conflict?.code == 409)
            // The usual answer: re-read, re-apply, write again.
            var fresh = try await client.get(.configMaps, namespace: "cc", name: "c")
            fresh["data"]["v"] = "3"
            #expect(try await client.update(.configMaps, namespace: "cc", fresh)["data"]["v"] == "3")

            let wrongUID = await caught(KubeAPIError.self) {
                try await client.delete(.configMaps, namespace: "cc", name: "c", options: DeleteOptions(preconditionUID: "not-the-uid"))
            }
            #expect(wrongUID != nil, "expected KubeAPIError to be thrown")
            #expect(wrongUID?.isConflict == true)
            try await client.delete(
                .configMaps, namespace: "cc", name: "c",
                options: DeleteOptions(propagationPolicy: .foreground, preconditionUID: first.uid))
        }
    }

    @Test func listPagingWithContinueTokens() async throws {
        try await withHarness { _, client in
            try await createNamespace(client, "pages")
            for i in 0..<7 {
                _ = try await client.create(.configMaps, namespace: "pages", configMap("cm-\(i)", namespace: "pages"))
            }
            var names: [String] = []
            var opts = ListOptions(limit: 3)
            var pages = 0
            while true {
                let page = try await client.list(.configMaps, namespace: "pages", options: opts)
                pages += 1
                #expect(page.items.count <= 3)
                names += page.items.compactMap(\.name)
                guard let next = page.continueToken else { break }
                opts.continueToken = next
                #expect(pages < 10)
                if pages >= 10 { break }
            }
            #expect(pages == 3)
            let condition1 = names.sorted() == (0..<7).map { "cm-\($0)" }
            #expect(condition1)
            let all = try await client.listAll(.configMaps, namespace: "pages", pageSize: 2)
            #expect(all.items.count == 7)
            #expect(all.continueToken == nil)
        }
    }

    @Test func clusterScopedStatusAndScaleSubresources() async throws {
        try await withHarness { _, client in
            try await createNamespace(client, "apps")
            let ns = try await client.get(.namespaces, namespace: nil, name: "apps")
            #expect(ns.name == "apps")

            let deployment: JSONValue = [
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": ["name": "web", "namespace": "apps"],
                "spec": [
                    "replicas": 2,
                    "selector": ["matchLabels": ["app": "web"]],
                    "template": [
                        "metadata": ["labels": ["app": "web"]],
                        "spec": ["containers": [["name": "web", "image": "nginx:1.27"]]],
                    ],
                ],
            ]
            let created = try await client.create(.deployments, namespace: "apps", deployment)
            // Status through the status subresource; a spec change there is ignored.
            var withStatus = created
            withStatus["status"] = ["observedGeneration": 1, "replicas": 2, "readyReplicas": 1]
            withStatus["spec"]["replicas"] = 9
            let afterStatus = try await client.updateStatus(.deployments, namespace: "apps", withStatus)
            #expect(afterStatus["status"]["readyReplicas"] == 1)
            #expect(afterStatus["spec"]["replicas"] == 2)
            let patchedStatus = try await client.patch(
                .deployments, namespace: "apps", name: "web", type: .merge, ["status": ["readyReplicas": 2]], subresource: "status")
            #expect(patchedStatus["status"]["readyReplicas"] == 2)

            let scale = try await client.get(.deployments, namespace: "apps", name: "web", subresource: "scale")
            #expect(scale["kind"] == "Scale")
            #expect(scale["spec"]["replicas"] == 2)
            _ = try await client.patch(.deployments, namespace: "apps", name: "web", type: .merge, ["spec": ["replicas": 4]], subresource: "scale")
            #expect(try await client.get(.deployments, namespace: "apps", name: "web")["spec"]["replicas"] == 4)

            try await client.delete(.namespaces, namespace: nil, name: "apps")
        }
    }

    @Test func invalidObjectCarriesFieldCauses() async throws {
        try await withHarness { _, client in
            let bad: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "Not_A_Valid_Name", "namespace": "default"]]
            let e = await caught(KubeAPIError.self) { _ = try await client.create(.configMaps, namespace: "default", bad) }
            #expect(e != nil, "expected KubeAPIError to be thrown")
            guard case .invalid(let s)? = e else { Issue.record("expected 422 Invalid, got \(String(describing: e))"); return }
            #expect(s.code == 422)
            let condition2 = s.causes.contains { $0.field == "metadata.name" }
            #expect(condition2)
        }
    }

    @Test func dryRunStoresNothing() async throws {
        var opts = Harness.fastOptions()
        opts.dryRun = true
        try await withHarness(options: opts) { _, client in
            let answer = try await client.create(.configMaps, namespace: "default", configMap("dry", namespace: "default"))
            #expect(answer.name == "dry")
            let e = await caught(KubeAPIError.self) { _ = try await client.get(.configMaps, namespace: "default", name: "dry") }
            #expect(e != nil, "expected KubeAPIError to be thrown")
            #expect(e?.isNotFound == true)
        }
    }
}

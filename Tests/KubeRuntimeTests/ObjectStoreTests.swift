import KubeCore
import Testing

@testable import KubeRuntime

@Suite("ObjectStore")
struct ObjectStoreTests {
    func pod(_ name: String, ns: String = "default", owner: String? = nil, labels: [String: String] = [:]) -> JSONValue {
        var o: JSONValue = ["metadata": ["name": .string(name), "namespace": .string(ns)]]
        if let owner { o[path: ["metadata", "ownerReferences"]] = [["uid": .string(owner), "kind": "ReplicaSet", "name": "rs"]] }
        if !labels.isEmpty { o[path: ["metadata", "labels"]] = .object(labels.mapValues { .string($0) }) }
        return o
    }

    @Test func indexesByOwnerAndLabelAndFollowsChanges() {
        let store = ObjectStore()
        store.upsert(pod("a", owner: "u1", labels: ["app": "web"]))
        store.upsert(pod("b", owner: "u1", labels: ["app": "db"]))
        store.upsert(pod("c", ns: "other", owner: "u2", labels: ["app": "web"]))
        #expect(store.owned(by: "u1").compactMap(\.name) == ["a", "b"])
        let condition1 = store.labelled("app", "web").map { ObjectKey($0).description } == ["default/a", "other/c"]
        #expect(condition1)
        // Relabel b: it leaves app=db and joins app=web.
        store.upsert(pod("b", owner: "u1", labels: ["app": "web"]))
        #expect(store.labelled("app", "db").isEmpty)
        #expect(store.labelled("app", "web").count == 3)
        store.remove(ObjectKey(namespace: "default", name: "a"))
        #expect(store.owned(by: "u1").compactMap(\.name) == ["b"])
        #expect(store.list(namespace: "other").count == 1)
        #expect(store.count == 2)
    }

    @Test func customIndexAndSnapshotIsolation() {
        let store = ObjectStore(indexers: ["target": { o in [o["spec"]["target"].stringValue].compactMap { $0 } }])
        var c = pod("canary")
        c["spec"] = ["target": "podinfo"]
        store.upsert(c)
        let snap = store.snapshot()
        #expect(store.byIndex("target", "podinfo").count == 1)
        store.remove(ObjectKey(c))
        // The snapshot still shows the world as it was.
        #expect(snap.byIndex("target", "podinfo").count == 1)
        #expect(snap.get(ObjectKey(c)) != nil)
        #expect(store.byIndex("target", "podinfo").isEmpty)
    }

    @Test func stripNoiseDropsManagedFieldsAndLastApplied() {
        var o = pod("a")
        o[path: ["metadata", "managedFields"]] = [["manager": "kubectl"]]
        o[path: ["metadata", "annotations"]] = ["kubectl.kubernetes.io/last-applied-configuration": "{…}", "keep": "me"]
        let t = Informer.stripNoise(o)
        #expect(t[path: ["metadata", "managedFields"]].isNull)
        #expect(t.annotations == ["keep": "me"])
        #expect(t.name == "a")
    }
}

import KubeCore
import Testing

@testable import KubeRuntime

/// The store keeps compact JSON and hands out parsed objects: what goes in comes out.
@Suite("ObjectStore: compact storage")
struct ObjectStoreCompactTests {
    func deployment(_ name: String, rv: String, image: String, labels: [String: String] = ["app": "web"]) -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": [
                "name": .string(name), "namespace": "default", "resourceVersion": .string(rv), "uid": .string("uid-\(name)"),
                "labels": .object(labels.mapValues { .string($0) }),
            ],
            "spec": [
                "replicas": 3, "paused": false, "progressDeadlineSeconds": 600,
                "template": ["spec": ["containers": [["name": "app", "image": .string(image), "env": [["name": "RATIO", "value": "0.25"]]]]]],
            ],
            "status": ["readyReplicas": 3, "ratio": 0.5, "message": "quote \" and unicode ✓ and \\ and \n newline"],
        ]
    }

    @Test func objectsComeBackAsTheyWentIn() {
        let store = ObjectStore()
        let d = deployment("a", rv: "1", image: "app:1")
        store.upsert(d)
        #expect(store.get(ObjectKey(d)) == d)
        #expect(store.list() == [d])
        #expect(store.snapshot().get(ObjectKey(d)) == d)
        #expect(store.snapshot().objects[ObjectKey(d)] == d)
        #expect(store.resourceVersion(ObjectKey(d)) == "1")
    }

    @Test func readsMoreObjectsThanTheParsedCacheHoldsStayCorrect() {
        let store = ObjectStore()
        let n = ParsedCache.capacity * 3
        for i in 0..<n { store.upsert(deployment("d\(i)", rv: "\(i)", image: "app:\(i)")) }
        // Read every object twice, in an order that cycles through the cache generations.
        for round in 0..<2 {
            for i in stride(from: n - 1, through: 0, by: -1) {
                let got = store.get(namespace: "default", name: "d\(i)")
                #expect(got?[path: ["spec", "template", "spec", "containers"]][0]["image"].stringValue == "app:\(i)", "round \(round)")
            }
        }
        // An update replaces what a reader gets, cached or not.
        store.upsert(deployment("d0", rv: "100", image: "app:new"))
        #expect(store.get(namespace: "default", name: "d0")?[path: ["spec", "template", "spec", "containers"]][0]["image"] == "app:new")
        #expect(store.resourceVersion(ObjectKey(namespace: "default", name: "d0")) == "100")
    }

    @Test func upsertReturnsThePreviousVersionAndKeepsIndexesInStep() {
        let store = ObjectStore()
        let v1 = deployment("a", rv: "1", image: "app:1", labels: ["app": "web"])
        #expect(store.upsert(v1) == nil)
        let v2 = deployment("a", rv: "2", image: "app:2", labels: ["app": "api"])
        #expect(store.upsert(v2) == v1)
        #expect(store.keys(byIndex: StoreIndex.label, "app=web").isEmpty)
        #expect(store.keys(byIndex: StoreIndex.label, "app=api") == [ObjectKey(v2)])
        #expect(store.labelled("app", "api") == [v2])
        #expect(store.remove(ObjectKey(v2)) == v2)
        #expect(store.get(ObjectKey(v2)) == nil)
        #expect(store.labelled("app", "api").isEmpty)
        #expect(store.count == 0)
    }

    @Test func aSnapshotKeepsTheVersionItSaw() {
        let store = ObjectStore()
        let v1 = deployment("a", rv: "1", image: "app:1")
        store.upsert(v1)
        let snap = store.snapshot()
        store.upsert(deployment("a", rv: "2", image: "app:2"))
        #expect(snap.get(ObjectKey(v1)) == v1)
        #expect(store.get(ObjectKey(v1))?.resourceVersion == "2")
    }

    @Test func compactEncodingRoundTripsEveryKindOfValue() {
        let value: JSONValue = [
            "null": .null, "yes": true, "no": false, "zero": 0, "small": -1, "max": .int(Int64.max), "min": .int(Int64.min),
            "half": 0.5, "negZero": .double(-0.0), "huge": 1e300, "integralDouble": .double(3.0),
            "empty": "", "text": "tab\t quote\" ✓ 𝄞", "emptyArray": [], "emptyObject": [:],
            "nested": [["a": [1, 2, [3]]], [:], ["", "b"]],
        ]
        var table = StringTable()
        _ = CompactJSON.encode(value, strings: &table)
        // The second time, short values seen before are numbered: both forms decode.
        let bytes = CompactJSON.encode(value, strings: &table)
        #expect(CompactJSON.decode(CompactJSON.encode(value, strings: &table), strings: table.names) == value)
        let back = CompactJSON.decode(bytes, strings: table.names)
        #expect(back == value)
        // Kinds survive exactly (an integral double stays a double).
        #expect(back["integralDouble"].intValue == 3)
        if case .double = back["integralDouble"] {} else { Issue.record("integralDouble came back as \(back["integralDouble"])") }
        #expect(bytes.count < value.serializedBytes().count)
    }

    @Test func stringsPastTheTableLimitAreWrittenInline() {
        var table = StringTable()
        let many = JSONValue.object(Dictionary(uniqueKeysWithValues: (0..<(StringTable.limit + 50)).map { ("k\($0)", JSONValue.string("v\($0)")) }))
        let first = CompactJSON.encode(many, strings: &table)
        #expect(table.names.count == StringTable.limit)
        let second = CompactJSON.encode(many, strings: &table)
        #expect(CompactJSON.decode(first, strings: table.names) == many)
        #expect(CompactJSON.decode(second, strings: table.names) == many)
    }

    @Test func aValueIsNumberedOnlyOnceASecondObjectHasIt() {
        var table = StringTable()
        let a: JSONValue = ["name": "only-in-a", "kind": "Deployment", "again": "only-in-a"]
        let b: JSONValue = ["name": "only-in-b", "kind": "Deployment"]
        _ = CompactJSON.encode(a, strings: &table)
        #expect(!table.names.contains("only-in-a"))  // repeated within one object: still one object
        _ = CompactJSON.encode(b, strings: &table)
        #expect(table.names.contains("Deployment"))
        #expect(!table.names.contains("only-in-b"))
        #expect(table.names.contains("kind"))  // keys are numbered at once
    }

    @Test func anIndexFirstAskedForLateCoversEarlierAndLaterWrites() {
        let store = ObjectStore(indexers: ["image": { o in
            [o[path: ["spec", "template", "spec", "containers"]][0]["image"].stringValue].compactMap { $0 }
        }])
        for i in 0..<5 { store.upsert(deployment("d\(i)", rv: "\(i)", image: i % 2 == 0 ? "even" : "odd")) }
        let snapshotBefore = store.snapshot()
        #expect(store.keys(byIndex: "image", "even").map(\.name) == ["d0", "d2", "d4"])
        // From now on the index follows every write.
        store.upsert(deployment("d1", rv: "10", image: "even"))
        store.remove(ObjectKey(namespace: "default", name: "d0"))
        store.upsert(deployment("d9", rv: "11", image: "even"))
        #expect(store.keys(byIndex: "image", "even").map(\.name) == ["d1", "d2", "d4", "d9"])
        #expect(store.byIndex("image", "odd").compactMap(\.name) == ["d3"])
        // A snapshot from before the index existed answers from its own objects.
        #expect(snapshotBefore.keys(byIndex: "image", "odd").map(\.name) == ["d1", "d3"])
        #expect(store.keys(byIndex: "no-such-index", "x").isEmpty)
    }
}

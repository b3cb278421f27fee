import Testing

@testable import KubeCore

@Suite struct StrategicMergePatchTests {
    let deployment: JSONValue = [
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": ["name": "web", "namespace": "default", "finalizers": ["a", "b"], "labels": ["app": "web"]],
        "spec": [
            "replicas": 2,
            "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%", "maxUnavailable": 0]],
            "template": [
                "metadata": ["labels": ["app": "web"]],
                "spec": [
                    "containers": [
                        [
                            "name": "app", "image": "web:1",
                            "env": [["name": "A", "value": "1"], ["name": "B", "value": "2"]],
                            "ports": [["containerPort": 8080, "name": "http"], ["containerPort": 9090, "name": "metrics"]],
                            "volumeMounts": [["name": "cfg", "mountPath": "/etc/cfg"]],
                            "args": ["--a", "--b"],
                        ],
                        ["name": "sidecar", "image": "proxy:1"],
                    ],
                    "volumes": [["name": "cfg", "emptyDir": [:]]],
                    "tolerations": [["key": "k1", "operator": "Exists"], ["key": "k2", "operator": "Exists"]],
                ],
            ],
        ],
        "status": ["conditions": [["type": "Available", "status": "True"], ["type": "Progressing", "status": "True"]]],
    ]

    func patch(_ p: JSONValue, _ target: JSONValue? = nil, kind: String = "Deployment") throws -> JSONValue {
        try StrategicMergePatch.apply(p, to: target ?? deployment, kind: kind)
    }

    func containers(_ v: JSONValue) -> [JSONValue] { v[path: ["spec", "template", "spec", "containers"]].arrayValue ?? [] }
    func names(_ list: [JSONValue], _ key: String = "name") -> [JSONValue] { list.map { $0[key] } }

    @Test func containersMergeByName() throws {
        let out = try patch(["spec": ["template": ["spec": ["containers": [["name": "sidecar", "image": "proxy:2"]]]]]])
        let cs = containers(out)
        #expect(names(cs) == ["app", "sidecar"])
        #expect(cs[1]["image"] == "proxy:2")
        #expect(cs[0] == containers(deployment)[0])
    }

    @Test func newListItemGoesFirstAsInKube() throws {
        let out = try patch(["spec": ["template": ["spec": ["containers": [["name": "new", "image": "n:1"]]]]]])
        #expect(names(containers(out)) == ["new", "app", "sidecar"])
    }

    @Test func envPortsAndMountsMergeByTheirKeys() throws {
        let out = try patch([
            "spec": [
                "template": [
                    "spec": [
                        "containers": [
                            [
                                "name": "app",
                                "env": [["name": "B", "value": "20"]],
                                "ports": [["containerPort": 9090, "protocol": "TCP"]],
                                "volumeMounts": [["mountPath": "/etc/cfg", "readOnly": true]],
                            ]
                        ]
                    ]
                ]
            ]
        ])
        let app = containers(out)[0]
        #expect(app["env"] == [["name": "A", "value": "1"], ["name": "B", "value": "20"]])
        #expect(app["ports"] == [["containerPort": 8080, "name": "http"], ["containerPort": 9090, "name": "metrics", "protocol": "TCP"]])
        #expect(app["volumeMounts"] == [["name": "cfg", "mountPath": "/etc/cfg", "readOnly": true]])
        #expect(app["image"] == "web:1")
    }

    @Test func untaggedListsAreReplaced() throws {
        let out = try patch([
            "spec": [
                "template": [
                    "spec": [
                        "tolerations": [["key": "k3", "operator": "Exists"]],
                        "containers": [["name": "app", "args": ["--c"]]],
                    ]
                ]
            ]
        ])
        #expect(out[path: ["spec", "template", "spec", "tolerations"]] == [["key": "k3", "operator": "Exists"]])
        #expect(containers(out)[0]["args"] == ["--c"])
    }

    @Test func serviceSpecPortsMergeByPort() throws {
        let svc: JSONValue = [
            "kind": "Service", "metadata": ["name": "s"],
            "spec": [
                "selector": ["app": "web"],
                "ports": [["port": 80, "targetPort": 8080, "name": "http"], ["port": 443, "targetPort": 8443, "name": "https"]],
            ],
        ]
        let out = try patch(["spec": ["ports": [["port": 443, "targetPort": 9443]], "selector": ["app": "web-primary"]]], svc, kind: "Service")
        #expect(out[path: ["spec", "ports"]] == [["port": 80, "targetPort": 8080, "name": "http"], ["port": 443, "targetPort": 9443, "name": "https"]])
        #expect(out[path: ["spec", "selector"]] == ["app": "web-primary"])
    }

    @Test func nullDeletesAndNullsInNewValuesAreDropped() throws {
        let out = try patch([
            "metadata": ["labels": ["app": nil, "new": "x"]],
            "spec": ["replicas": nil, "paused": nil, "brandNew": ["a": 1, "b": nil]],
        ])
        #expect(out[path: ["metadata", "labels"]] == ["new": "x"])
        #expect(out["spec"]["replicas"] == .null)
        #expect(out["spec"].objectValue?.keys.contains("paused") == false)
        #expect(out[path: ["spec", "brandNew"]] == JSONValue.object(["a": 1]))
    }

    @Test func deleteDirectiveInListItem() throws {
        let out = try patch(["spec": ["template": ["spec": ["containers": [["name": "sidecar", "$patch": "delete"]]]]]])
        #expect(names(containers(out)) == ["app"])
        let env = try patch([
            "spec": ["template": ["spec": ["containers": [["name": "app", "env": [["name": "A", "$patch": "delete"]]]]]]]
        ])
        #expect(containers(env)[0]["env"] == [["name": "B", "value": "2"]])
    }

    @Test func replaceDirectiveInList() throws {
        let out = try patch([
            "spec": ["template": ["spec": ["containers": [["$patch": "replace"], ["name": "only", "image": "o:1"]]]]]
        ])
        #expect(containers(out) == [["name": "only", "image": "o:1"]])
    }

    @Test func replaceAndDeleteDirectivesInMap() throws {
        let replaced = try patch(["spec": ["strategy": ["$patch": "replace", "type": "Recreate"]]])
        #expect(replaced[path: ["spec", "strategy"]] == ["type": "Recreate"])
        // Kube leaves an empty map for `$patch: delete`.
        let deleted = try patch(["metadata": ["labels": ["$patch": "delete"]]])
        #expect(deleted[path: ["metadata", "labels"]] == [:])
    }

    @Test func retainKeysClearsOtherFields() throws {
        let out = try patch(["spec": ["strategy": ["$retainKeys": ["type"], "type": "Recreate"]]])
        #expect(out[path: ["spec", "strategy"]] == ["type": "Recreate"])
        // Switching a volume's source, as kubectl apply does.
        let vol = try patch([
            "spec": [
                "template": [
                    "spec": ["volumes": [["name": "cfg", "$retainKeys": ["configMap", "name"], "configMap": ["name": "c"]]]]
                ]
            ]
        ])
        #expect(vol[path: ["spec", "template", "spec", "volumes"]] == [["name": "cfg", "configMap": ["name": "c"]]])
        let operation3 = {
            try patch(["spec": ["strategy": ["$retainKeys": ["type"], "rollingUpdate": ["maxSurge": 1]]]])
        }
        #expect(throws: StrategicMergePatchError.self, performing: operation3)
    }

    @Test func primitiveListsUnionAndDeleteFrom() throws {
        let out = try patch(["metadata": ["finalizers": ["c", "a"], "$deleteFromPrimitiveList/finalizers": ["b"]]])
        let fins = out[path: ["metadata", "finalizers"]].arrayValue ?? []
        #expect(Set(fins) == ["a", "c"])
        #expect(fins == ["c", "a"])  // patch order wins for items the patch names
    }

    @Test func setElementOrderIsApplied() throws {
        let out = try patch([
            "spec": [
                "template": [
                    "spec": [
                        "$setElementOrder/containers": [["name": "sidecar"], ["name": "app"]],
                        "containers": [["name": "app", "image": "web:2"]],
                    ]
                ]
            ]
        ])
        #expect(names(containers(out)) == ["sidecar", "app"])
        #expect(containers(out)[1]["image"] == "web:2")
        // kubectl's shape for removing an item: order list without it plus a delete directive.
        let removed = try patch([
            "metadata": ["$setElementOrder/finalizers": ["b"], "$deleteFromPrimitiveList/finalizers": ["a"]]
        ])
        #expect(removed[path: ["metadata", "finalizers"]] == ["b"])
    }

    @Test func conditionsMergeByTypeAndOwnerReferencesByUID() throws {
        let out = try patch(["status": ["conditions": [["type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"]]]])
        #expect(out[path: ["status", "conditions"]] == [
            ["type": "Available", "status": "True"],
            ["type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"],
        ])
        let owned: JSONValue = ["metadata": ["ownerReferences": [["uid": "1", "name": "a"]]]]
        let two = try patch(["metadata": ["ownerReferences": [["uid": "2", "name": "b"]]]], owned, kind: "ConfigMap")
        #expect(names(two[path: ["metadata", "ownerReferences"]].arrayValue ?? [], "uid") == ["2", "1"])
    }

    @Test func directivesInNewValuesDoNotLeak() throws {
        let bare: JSONValue = ["kind": "Pod", "metadata": ["name": "p"]]
        let out = try patch(
            ["spec": ["containers": [["name": "a", "image": "x"], ["name": "gone", "$patch": "delete"]], "$retainKeys": ["containers"]]],
            bare, kind: "Pod")
        #expect(out["spec"] == ["containers": [["name": "a", "image": "x"]]])
    }

    @Test func errors() throws {
        let operation1 = { try patch(["spec": ["x": 1]], ["spec": [:]], kind: "Canary") }
        #expect(throws: StrategicMergePatchError.self, performing: operation1)
        #expect(!StrategicMergePatch.supports(kind: "Canary"))
        #expect(StrategicMergePatch.supports(kind: "Deployment"))
        do {
            _ = try patch(["spec": ["template": ["spec": ["containers": [["image": "nameless"]]]]]])
            Issue.record("a container without its merge key must fail")
        } catch let e as StrategicMergePatchError {
            #expect(e.description.contains("does not contain declared merge key: name"))
        }
        let operation2 = { try patch(["metadata": ["$patch": "frobnicate"]]) }
        #expect(throws: StrategicMergePatchError.self, performing: operation2)
    }
}

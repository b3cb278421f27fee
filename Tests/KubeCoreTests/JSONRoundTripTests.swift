import Foundation
import Testing

@testable import KubeCore

/// A Deployment with every field of the apps/v1 schema (and pod template), plus fields no
/// schema has, at several levels.
let richDeploymentJSON = #"""
{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {
    "name": "podinfo",
    "namespace": "test",
    "uid": "7c0f4a3e-2b7e-4c1e-9a57-0d3b1c9f5e21",
    "resourceVersion": "918273",
    "generation": 7,
    "creationTimestamp": "2026-11-20T10:15:30Z",
    "labels": {"app.kubernetes.io/name": "podinfo", "team": "sre"},
    "annotations": {"deployment.kubernetes.io/revision": "4", "note": "ünïcödé \"quoted\" \\ back\nslash \u2028 ✓ 🚀"},
    "finalizers": ["example.com/protect"],
    "ownerReferences": [{"apiVersion": "serin.dev/v1alpha1", "kind": "Canary", "name": "podinfo", "uid": "a1b2", "controller": true, "blockOwnerDeletion": true}],
    "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-11-20T10:15:30Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:team": {}}}}}],
    "x-unknown-meta": {"kept": [1, 2, {"deep": null}]}
  },
  "spec": {
    "replicas": 3,
    "selector": {
      "matchLabels": {"app.kubernetes.io/name": "podinfo"},
      "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}, {"key": "legacy", "operator": "DoesNotExist"}]
    },
    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
    "minReadySeconds": 5,
    "revisionHistoryLimit": 10,
    "progressDeadlineSeconds": 600,
    "paused": false,
    "unknownSpecField": {"a": [true, false, null], "b": -0.5e-3},
    "template": {
      "metadata": {"labels": {"app.kubernetes.io/name": "podinfo", "tier": "web"}, "annotations": {"prometheus.io/scrape": "true"}},
      "spec": {
        "serviceAccountName": "podinfo",
        "automountServiceAccountToken": false,
        "terminationGracePeriodSeconds": 30,
        "activeDeadlineSeconds": 9223372036854775807,
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
        "dnsConfig": {"nameservers": ["1.1.1.1"], "searches": ["svc.cluster.local"], "options": [{"name": "ndots", "value": "2"}]},
        "hostNetwork": false, "hostPID": false, "hostIPC": false, "shareProcessNamespace": false,
        "hostname": "pi", "subdomain": "podinfo",
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "nodeName": "",
        "schedulerName": "default-scheduler",
        "priorityClassName": "high", "priority": 1000, "preemptionPolicy": "PreemptLowerPriority",
        "runtimeClassName": "runc",
        "enableServiceLinks": true,
        "setHostnameAsFQDN": false,
        "hostUsers": true,
        "os": {"name": "linux"},
        "overhead": {"cpu": "250m"},
        "hostAliases": [{"ip": "10.0.0.1", "hostnames": ["a.local", "b.local"]}],
        "imagePullSecrets": [{"name": "regcred"}],
        "readinessGates": [{"conditionType": "example.com/ready"}],
        "schedulingGates": [{"name": "example.com/gate"}],
        "resourceClaims": [{"name": "gpu", "resourceClaimTemplateName": "gpu-template"}],
        "securityContext": {
          "runAsUser": 1000, "runAsGroup": 3000, "runAsNonRoot": true, "fsGroup": 2000,
          "fsGroupChangePolicy": "OnRootMismatch", "supplementalGroups": [4000, 5000],
          "seccompProfile": {"type": "RuntimeDefault"},
          "seLinuxOptions": {"level": "s0:c123,c456"},
          "sysctls": [{"name": "net.core.somaxconn", "value": "1024"}],
          "appArmorProfile": {"type": "RuntimeDefault"}
        },
        "affinity": {
          "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}], "matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}]}]},
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 10, "preference": {"matchExpressions": [{"key": "disk", "operator": "Exists"}]}}]
          },
          "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": "kubernetes.io/hostname", "namespaces": ["test"], "namespaceSelector": {}}]},
          "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": {"labelSelector": {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In", "values": ["podinfo"]}]}, "topologyKey": "topology.kubernetes.io/zone", "matchLabelKeys": ["pod-template-hash"]}}]}
        },
        "tolerations": [
          {"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"},
          {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
        ],
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "podinfo"}}, "minDomains": 2, "nodeAffinityPolicy": "Honor", "nodeTaintsPolicy": "Ignore", "matchLabelKeys": ["pod-template-hash"]}],
        "volumes": [
          {"name": "config", "configMap": {"name": "podinfo-config", "defaultMode": 420, "items": [{"key": "a.yaml", "path": "a.yaml", "mode": 256}], "optional": true}},
          {"name": "secret", "secret": {"secretName": "podinfo-tls", "defaultMode": 256}},
          {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
          {"name": "data", "persistentVolumeClaim": {"claimName": "podinfo-data", "readOnly": false}},
          {"name": "host", "hostPath": {"path": "/var/log", "type": "Directory"}},
          {"name": "projected", "projected": {"defaultMode": 420, "sources": [{"serviceAccountToken": {"audience": "api", "expirationSeconds": 3600, "path": "token"}}, {"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}}, {"configMap": {"name": "ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}},
          {"name": "downward", "downwardAPI": {"items": [{"path": "cpu", "resourceFieldRef": {"containerName": "podinfo", "resource": "limits.cpu", "divisor": "1m"}}]}},
          {"name": "scratch", "ephemeral": {"volumeClaimTemplate": {"metadata": {"labels": {"x": "y"}}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, "storageClassName": "fast"}}}},
          {"name": "csi", "csi": {"driver": "secrets-store.csi.k8s.io", "readOnly": true, "volumeAttributes": {"secretProviderClass": "vault"}}},
          {"name": "nfs", "nfs": {"server": "nfs.local", "path": "/exports", "readOnly": true}}
        ],
        "initContainers": [
          {"name": "init", "image": "busybox:1.36", "command": ["sh", "-c"], "args": ["echo init && sleep 1"], "restartPolicy": "Always", "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}
        ],
        "containers": [
          {
            "name": "podinfo",
            "image": "ghcr.io/stefanprodan/podinfo:6.7.0",
            "imagePullPolicy": "IfNotPresent",
            "command": ["./podinfo"],
            "args": ["--port=9898", "--level=info"],
            "workingDir": "/home/app",
            "ports": [
              {"name": "http", "containerPort": 9898, "protocol": "TCP"},
              {"name": "grpc", "containerPort": 9999, "protocol": "TCP", "hostPort": 0, "hostIP": "0.0.0.0"}
            ],
            "env": [
              {"name": "PLAIN", "value": "v"},
              {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
              {"name": "CPU_LIMIT", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1"}}},
              {"name": "CFG", "valueFrom": {"configMapKeyRef": {"name": "podinfo-config", "key": "level", "optional": true}}},
              {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "podinfo-secret", "key": "password"}}}
            ],
            "envFrom": [{"configMapRef": {"name": "podinfo-env"}, "prefix": "CM_"}, {"secretRef": {"name": "podinfo-env-secret", "optional": false}}],
            "resources": {"limits": {"cpu": "2", "memory": "512Mi", "nvidia.com/gpu": "1"}, "requests": {"cpu": "100m", "memory": "64Mi"}, "claims": [{"name": "gpu"}]},
            "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"}],
            "volumeMounts": [
              {"name": "config", "mountPath": "/etc/podinfo", "readOnly": true},
              {"name": "cache", "mountPath": "/cache", "subPath": "podinfo", "mountPropagation": "None"},
              {"name": "data", "mountPath": "/data", "subPathExpr": "$(POD_NAME)", "recursiveReadOnly": "Disabled"}
            ],
            "volumeDevices": [{"name": "raw", "devicePath": "/dev/xvda"}],
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 9898, "scheme": "HTTP", "httpHeaders": [{"name": "X-Probe", "value": "1"}]}, "initialDelaySeconds": 1, "periodSeconds": 10, "timeoutSeconds": 5, "successThreshold": 1, "failureThreshold": 3, "terminationGracePeriodSeconds": 15},
            "readinessProbe": {"exec": {"command": ["podcli", "check", "http", "localhost:9898/readyz"]}, "initialDelaySeconds": 1, "periodSeconds": 10},
            "startupProbe": {"tcpSocket": {"port": "http"}, "failureThreshold": 30, "periodSeconds": 2},
            "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}, "postStart": {"httpGet": {"path": "/started", "port": 9898}}},
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "FallbackToLogsOnError",
            "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "privileged": false, "runAsNonRoot": true, "runAsUser": 10001, "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}, "procMount": "Default", "seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/podinfo.json"}},
            "stdin": false, "stdinOnce": false, "tty": false,
            "x-unknown-container-field": {"nested": {"value": 1.5}}
          },
          {"name": "grpc-probe", "image": "busybox", "livenessProbe": {"grpc": {"port": 9999, "service": "health"}}}
        ],
        "ephemeralContainers": [{"name": "debugger", "image": "busybox", "targetContainerName": "podinfo", "stdin": true, "tty": true}]
      }
    }
  },
  "status": {
    "observedGeneration": 7,
    "replicas": 3,
    "updatedReplicas": 3,
    "readyReplicas": 3,
    "availableReplicas": 3,
    "unavailableReplicas": 0,
    "terminatingReplicas": 0,
    "collisionCount": 1,
    "conditions": [
      {"type": "Available", "status": "True", "lastUpdateTime": "2026-11-20T10:16:00Z", "lastTransitionTime": "2026-11-20T10:16:00Z", "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."},
      {"type": "Progressing", "status": "True", "lastUpdateTime": "2026-11-20T10:16:00Z", "lastTransitionTime": "2026-11-20T10:15:30Z", "reason": "NewReplicaSetAvailable", "message": "ReplicaSet \"podinfo-6b7c8d\" has successfully progressed."}
    ]
  },
  "topLevelUnknown": [1e3, 2.5E+2, -17, 0, 1.7976931348623157e308, 5e-324, 123456789012345678, -9223372036854775808]
}
"""#

@Suite struct JSONRoundTripTests {
    @Test func richDeploymentRoundTripsEqualInMeaning() throws {
        let parsed = try JSONValue(parsing: richDeploymentJSON)
        let text = parsed.serialized()
        let reparsed = try JSONValue(parsing: text)
        #expect(reparsed == parsed)
        // Serialization is canonical: a second pass gives the same bytes.
        #expect(reparsed.serialized() == text)
        // Bytes entry point agrees with the String one.
        #expect(try JSONValue(parsing: Array(richDeploymentJSON.utf8)) == parsed)
    }

    /// Foundation's parser as an independent oracle: both readings agree value by value.
    @Test func agreesWithFoundationJSONSerialization() throws {
        let ours = try JSONValue(parsing: richDeploymentJSON)
        let theirs = try JSONSerialization.jsonObject(with: Data(richDeploymentJSON.utf8), options: [.fragmentsAllowed])
        try expectSame(ours, theirs, at: "$")
        let back = try JSONSerialization.jsonObject(with: Data(ours.serializedBytes()), options: [.fragmentsAllowed])
        try expectSame(ours, back, at: "$")
    }

    func expectSame(_ v: JSONValue, _ any: Any, at path: String) throws {
        switch v {
        case .null: #expect(any is NSNull, "\(path)")
        case .string(let s): #expect(any as? String == s, "\(path)")
        case .bool(let b): #expect((any as? NSNumber)?.boolValue == b, "\(path)")
        case .int(let i): #expect((any as? NSNumber)?.int64Value == i, "\(path): \(any) vs \(i)")
        case .double(let d): #expect((any as? NSNumber)?.doubleValue == d, "\(path): \(any) vs \(d)")
        case .array(let a):
            let other = try #require(any as? [Any], "\(path)")
            #expect(other.count == a.count, "\(path)")
            for (i, e) in zip(a.indices, zip(a, other)) { try expectSame(e.0, e.1, at: "\(path)[\(i)]") }
        case .object(let o):
            let other = try #require(any as? [String: Any], "\(path)")
            #expect(Set(other.keys) == Set(o.keys), "\(path)")
            for (k, e) in o { if let x = other[k] { try expectSame(e, x, at: "\(path).\(k)") } }
        }
    }

    @Test func knownAndUnknownFieldsSurvive() throws {
        let d = try JSONValue(parsing: try JSONValue(parsing: richDeploymentJSON).serialized())
        #expect(d[path: ["metadata", "x-unknown-meta", "kept"]] == [1, 2, ["deep": nil]])
        #expect(d[path: ["spec", "unknownSpecField", "b"]] == -0.0005)
        let c = d[path: ["spec", "template", "spec", "containers"]][0]
        #expect(c[path: ["x-unknown-container-field", "nested", "value"]] == 1.5)
        #expect(c["livenessProbe"]["httpGet"]["port"] == 9898)
        #expect(c["startupProbe"]["tcpSocket"]["port"] == "http")
        #expect(c["env"][1]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name")
        #expect(d[path: ["spec", "template", "spec", "activeDeadlineSeconds"]] == .int(Int64.max))
        #expect(d[path: ["spec", "template", "spec", "volumes"]].arrayValue?.count == 10)
        #expect(d[path: ["spec", "paused"]] == false)
        #expect(d[path: ["metadata", "annotations", "note"]] == "ünïcödé \"quoted\" \\ back\nslash \u{2028} ✓ 🚀")
        let numbers = d["topLevelUnknown"]
        #expect(numbers == [1000, 250, -17, 0, .double(.greatestFiniteMagnitude), .double(.leastNonzeroMagnitude), 123456789012345678, .int(Int64.min)])
        #expect(numbers[6] == .int(123_456_789_012_345_678))
    }
}

@Suite struct JSONParserTests {
    @Test func escapes() throws {
        #expect(try JSONValue(parsing: #""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        #expect(try JSONValue(parsing: #""\u0041\u00e9\u4e2d""#) == "Aé中")
        #expect(try JSONValue(parsing: #""\u0000""#) == .string("\u{0}"))
    }

    @Test func surrogatePairs() throws {
        #expect(try JSONValue(parsing: #""\ud83d\ude80""#) == "🚀")
        #expect(try JSONValue(parsing: #""\uD834\uDD1E x""#) == "𝄞 x")
        for bad in [#""\ud83d""#, #""\ude80""#, #""\ud83d\u0041""#, #""\ud83dx""#] {
            let operation1 = { try JSONValue(parsing: bad) }
            #expect(throws: JSONParseError.self, "\(bad)", performing: operation1)
        }
    }

    @Test func stringsSerializeBackToTheSameText() throws {
        let s = "tab\t nl\n cr\r quote\" back\\ ctl\u{1} del\u{7f} 🚀 \u{2028}"
        let v = JSONValue.string(s)
        #expect(try JSONValue(parsing: v.serialized()) == v)
        #expect(v.serialized().contains("\\u0001"))
    }

    @Test func numbers() throws {
        #expect(try JSONValue(parsing: "0") == .int(0))
        #expect(try JSONValue(parsing: "-0") == .int(0))
        #expect(try JSONValue(parsing: "9223372036854775807") == .int(Int64.max))
        #expect(try JSONValue(parsing: "-9223372036854775808") == .int(Int64.min))
        // Beyond Int64: kept as a double, like Go's interface{} decoding.
        #expect(try JSONValue(parsing: "9223372036854775808") == .double(9223372036854775808.0))
        #expect(try JSONValue(parsing: "1e2") == .double(100))
        #expect(try JSONValue(parsing: "1E-2") == .double(0.01))
        #expect(try JSONValue(parsing: "-1.5e+3") == .double(-1500))
        #expect(try JSONValue(parsing: "1.0") == .int(1))  // equal in meaning
        if case .int = try JSONValue(parsing: "1.0") { Issue.record("1.0 must stay a double") }
        for bad in ["01", "1.", ".5", "+1", "1e", "1e+", "-", "--1", "0x10", "NaN", "Infinity", "1.5.2"] {
            let operation2 = { try JSONValue(parsing: bad) }
            #expect(throws: JSONParseError.self, "\(bad)", performing: operation2)
        }
    }

    @Test func numbersSerialize() throws {
        #expect(JSONValue.int(Int64.min).serialized() == "-9223372036854775808")
        #expect(JSONValue.double(0.5).serialized() == "0.5")
        #expect(JSONValue.double(100).serialized() == "100")
        for d in [1e-7, .greatestFiniteMagnitude, .leastNonzeroMagnitude, 123456.789, -2.5e-10, 1e21] {
            let back = try JSONValue(parsing: JSONValue.double(d).serialized())
            #expect(back.doubleValue == d, "\(d) → \(JSONValue.double(d).serialized())")
        }
    }

    @Test func errorsCarryOffsets() throws {
        let cases: [(String, Int)] = [
            (#"{"a":1,}"#, 7),
            (#"{"a" 1}"#, 5),
            (#"[1,2"#, 4),
            (#"{"a":tru}"#, 5),
            (#"[1] x"#, 4),
            (#""abc"#, 4),
            ("\"a\u{1}b\"", 2),
            ("", 0),
        ]
        for (text, offset) in cases {
            do {
                _ = try JSONValue(parsing: text)
                Issue.record("\(text) should not parse")
            } catch let e as JSONParseError {
                #expect(e.offset == offset, "\(text): \(e)")
                #expect(e.description.contains("byte \(e.offset)"))
            }
        }
    }

    @Test func nestingLimit() throws {
        let ok = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        let operation3 = { try JSONValue(parsing: ok) }
        #expect(throws: Never.self, performing: operation3)
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        do {
            _ = try JSONValue(parsing: deep)
            Issue.record("100000 levels must be refused")
        } catch let e as JSONParseError {
            #expect(e.reason.contains("nesting"))
        }
        let objects = String(repeating: #"{"a":"#, count: 600) + "1" + String(repeating: "}", count: 600)
        let operation4 = { try JSONValue(parsing: objects) }
        #expect(throws: JSONParseError.self, performing: operation4)
    }

    @Test func whitespaceAndDuplicates() throws {
        #expect(try JSONValue(parsing: " \n\t\r{ \"a\" : [ 1 , 2 ] } \n") == ["a": [1, 2]])
        // Last duplicate wins, as in Go's encoding/json.
        #expect(try JSONValue(parsing: #"{"a":1,"a":2}"#) == ["a": 2])
    }

    @Test func codableBridgeKeepsTypes() throws {
        let v: JSONValue = ["b": true, "i": 1, "zero": 0, "d": 2.5, "s": "x", "n": nil, "a": [1, "2", false]]
        let data = try JSONEncoder().encode(v)
        let back = try JSONDecoder().decode(JSONValue.self, from: data)
        #expect(back == v)
        #expect(back["i"].boolValue == nil, "1 must not decode as a Bool")
        #expect(back["zero"].boolValue == nil, "0 must not decode as a Bool")
        #expect(back["b"].boolValue == true)
    }
}

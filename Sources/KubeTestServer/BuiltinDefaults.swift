import Foundation
import KubeCore

/// The defaults kube-apiserver fills in for built-in kinds (the ones clients tend to read back).
enum BuiltinDefaults {
    static func apply(_ r: ServedResource, _ obj: inout JSONValue, isCreate: Bool) {
        guard !r.isCustom else { return }
        switch r.type.kind {
        case "Namespace":
            if isCreate, obj["spec"]["finalizers"].isNull { obj["spec"]["finalizers"] = ["kubernetes"] }
            if obj["status"]["phase"].isNull { obj["status"]["phase"] = "Active" }
            if obj["metadata"]["labels"]["kubernetes.io/metadata.name"].isNull {
                obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = .string(obj.name ?? "")
            }
        case "Deployment":
            setIfAbsent(&obj, ["spec", "replicas"], 1)
            setIfAbsent(&obj, ["spec", "revisionHistoryLimit"], 10)
            setIfAbsent(&obj, ["spec", "progressDeadlineSeconds"], 600)
            if obj["spec"]["strategy"]["type"].isNull { obj["spec"]["strategy"]["type"] = "RollingUpdate" }
            if obj["spec"]["strategy"]["type"].stringValue == "RollingUpdate" {
                setIfAbsent(&obj, ["spec", "strategy", "rollingUpdate", "maxUnavailable"], "25%")
                setIfAbsent(&obj, ["spec", "strategy", "rollingUpdate", "maxSurge"], "25%")
            }
            defaultPodSpec(&obj, ["spec", "template", "spec"])
        case "ReplicaSet":
            setIfAbsent(&obj, ["spec", "replicas"], 1)
            defaultPodSpec(&obj, ["spec", "template", "spec"])
        case "Pod":
            defaultPodSpec(&obj, ["spec"])
            if isCreate, obj["status"]["phase"].isNull { obj["status"] = ["phase": "Pending", "qosClass": "BestEffort"] }
        case "Service":
            setIfAbsent(&obj, ["spec", "type"], "ClusterIP")
            setIfAbsent(&obj, ["spec", "sessionAffinity"], "None")
            if var ports = obj["spec"]["ports"].arrayValue {
                for i in ports.indices {
                    if ports[i]["protocol"].isNull { ports[i]["protocol"] = "TCP" }
                    if ports[i]["targetPort"].isNull { ports[i]["targetPort"] = ports[i]["port"] }
                }
                obj["spec"]["ports"] = .array(ports)
            }
            if isCreate, obj["spec"]["clusterIP"].isNull, obj["spec"]["type"].stringValue != "ExternalName" {
                let ip = "10.96.\(Int.random(in: 1...254)).\(Int.random(in: 1...254))"
                obj["spec"]["clusterIP"] = .string(ip)
                obj["spec"]["clusterIPs"] = [.string(ip)]
            }
            if isCreate, obj["status"].isNull { obj["status"] = ["loadBalancer": [:]] }
        case "Secret":
            setIfAbsent(&obj, ["type"], "Opaque")
            // stringData is write-only: merged into data (base64) and never stored.
            if let plain = obj["stringData"].objectValue {
                for (k, v) in plain {
                    obj["data"][k] = .string(Data((v.stringValue ?? "").utf8).base64EncodedString())
                }
                obj["stringData"] = .null
            }
        default:
            break
        }
    }

    static func setIfAbsent(_ obj: inout JSONValue, _ path: [String], _ value: JSONValue) {
        if obj[path: path].isNull { obj[path: path] = value }
    }

    static func defaultPodSpec(_ obj: inout JSONValue, _ path: [String]) {
        guard obj[path: path].objectValue != nil else { return }
        var spec = obj[path: path]
        setIfAbsent(&spec, ["restartPolicy"], "Always")
        setIfAbsent(&spec, ["terminationGracePeriodSeconds"], 30)
        setIfAbsent(&spec, ["dnsPolicy"], "ClusterFirst")
        setIfAbsent(&spec, ["schedulerName"], "default-scheduler")
        setIfAbsent(&spec, ["securityContext"], [:])
        for key in ["containers", "initContainers"] {
            guard var containers = spec[key].arrayValue else { continue }
            for i in containers.indices {
                var c = containers[i]
                setIfAbsent(&c, ["terminationMessagePath"], "/dev/termination-log")
                setIfAbsent(&c, ["terminationMessagePolicy"], "File")
                if c["imagePullPolicy"].isNull {
                    let image = c["image"].stringValue ?? ""
                    let tag = image.split(separator: "/").last.map { $0.split(separator: ":").dropFirst().first } ?? nil
                    c["imagePullPolicy"] = (tag == nil || tag == "latest") && !image.contains("@") ? "Always" : "IfNotPresent"
                }
                setIfAbsent(&c, ["resources"], [:])
                if var ports = c["ports"].arrayValue {
                    for j in ports.indices where ports[j]["protocol"].isNull { ports[j]["protocol"] = "TCP" }
                    c["ports"] = .array(ports)
                }
                containers[i] = c
            }
            spec[key] = .array(containers)
        }
        obj[path: path] = spec
    }
}

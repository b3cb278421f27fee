import KubeCore
import SerinAPI
import Traffic

/// ConfigMaps and Secrets a pod template refers to (volumes, projected volumes, env, envFrom).
public struct ConfigReferences: Sendable, Hashable {
    public var configMaps: Set<String> = []
    public var secrets: Set<String> = []

    public init(configMaps: Set<String> = [], secrets: Set<String> = []) {
        self.configMaps = configMaps
        self.secrets = secrets
    }

    /// The references in a pod spec (`spec.template.spec`).
    public init(podSpec: JSONValue) {
        _ = PodSpecConfigRefs.rewrite(podSpec, configMaps: [:], secrets: [:], collect: &self)
    }
}

/// Walks every place a pod spec names a ConfigMap or Secret.
enum PodSpecConfigRefs {
    static func rewrite(_ podSpec: JSONValue, configMaps: [String: String], secrets: [String: String],
                        collect: inout ConfigReferences) -> JSONValue {
        var spec = podSpec
        func renamed(_ v: JSONValue, _ table: [String: String], _ set: inout Set<String>) -> JSONValue {
            guard let n = v.stringValue else { return v }
            set.insert(n)
            return table[n].map { .string($0) } ?? v
        }
        if var volumes = spec["volumes"].arrayValue {
            for i in volumes.indices {
                var vol = volumes[i]
                if !vol["configMap"].isNull {
                    vol[path: ["configMap", "name"]] = renamed(vol["configMap"]["name"], configMaps, &collect.configMaps)
                }
                if !vol["secret"].isNull {
                    vol[path: ["secret", "secretName"]] = renamed(vol["secret"]["secretName"], secrets, &collect.secrets)
                }
                if var sources = vol[path: ["projected", "sources"]].arrayValue {
                    for j in sources.indices {
                        if !sources[j]["configMap"].isNull {
                            sources[j][path: ["configMap", "name"]] = renamed(sources[j]["configMap"]["name"], configMaps, &collect.configMaps)
                        }
                        if !sources[j]["secret"].isNull {
                            sources[j][path: ["secret", "name"]] = renamed(sources[j]["secret"]["name"], secrets, &collect.secrets)
                        }
                    }
                    vol[path: ["projected", "sources"]] = .array(sources)
                }
                volumes[i] = vol
            }
            spec["volumes"] = .array(volumes)
        }
        for key in ["containers", "initContainers", "ephemeralContainers"] {
            guard var containers = spec[key].arrayValue else { continue }
            for i in containers.indices {
                var c = containers[i]
                if var env = c["env"].arrayValue {
                    for j in env.indices {
                        if !env[j][path: ["valueFrom", "configMapKeyRef"]].isNull {
                            env[j][path: ["valueFrom", "configMapKeyRef", "name"]] =
                                renamed(env[j][path: ["valueFrom", "configMapKeyRef", "name"]], configMaps, &collect.configMaps)
                        }
                        if !env[j][path: ["valueFrom", "secretKeyRef"]].isNull {
                            env[j][path: ["valueFrom", "secretKeyRef", "name"]] =
                                renamed(env[j][path: ["valueFrom", "secretKeyRef", "name"]], secrets, &collect.secrets)
                        }
                    }
                    c["env"] = .array(env)
                }
                if var envFrom = c["envFrom"].arrayValue {
                    for j in envFrom.indices {
                        if !envFrom[j]["configMapRef"].isNull {
                            envFrom[j][path: ["configMapRef", "name"]] = renamed(envFrom[j]["configMapRef"]["name"], configMaps, &collect.configMaps)
                        }
                        if !envFrom[j]["secretRef"].isNull {
                            envFrom[j][path: ["secretRef", "name"]] = renamed(envFrom[j]["secretRef"]["name"], secrets, &collect.secrets)
                        }
                    }
                    c["envFrom"] = .array(envFrom)
                }
                containers[i] = c
            }
            spec[key] = .array(containers)
        }
        return spec
    }
}

/// Builds `<target>-primary`: a faithful copy of the target Deployment.
public enum PrimaryDeploymentBuilder {
    /// Annotation on the primary holding the release checksum it runs.
    public static let checksumAnnotation = "serin.dev/release-checksum"

    /// The primary Deployment from the target. Every field of the target's spec (and pod template)
    /// is copied, known to Serin or not; the selector label becomes `<value>-primary`; ConfigMap and
    /// Secret references named in `configMaps`/`secrets` are renamed (usually to `<name>-primary`).
    /// `existing` is the current primary: its metadata (resourceVersion, ownerReferences, labels
    /// others added) is kept, and so are its replicas when `replicas` is nil (an HPA may own them).
    public static func primary(from target: JSONValue, selector: SelectorLabel, existing: JSONValue? = nil,
                               configMaps: [String: String] = [:], secrets: [String: String] = [:],
                               replicas: Int? = nil, checksum: String? = nil,
                               ownerReference: JSONValue? = nil) -> JSONValue {
        let name = "\(target.name ?? "")-primary"
        var obj: JSONValue
        if let existing {
            obj = existing
        } else {
            obj = ["metadata": target["metadata"]]
            for k in ObjectMerge.serverMetadata { obj[path: ["metadata", k]] = .null }
            obj[path: ["metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]] = .null
            obj[path: ["metadata", "annotations", "deployment.kubernetes.io/revision"]] = .null
            if obj[path: ["metadata", "annotations"]].objectValue?.isEmpty == true { obj[path: ["metadata", "annotations"]] = .null }
        }
        obj["apiVersion"] = "apps/v1"
        obj["kind"] = "Deployment"
        obj["status"] = .null
        obj[path: ["metadata", "name"]] = .string(name)
        obj[path: ["metadata", "namespace"]] = target["metadata"]["namespace"]
        if !obj[path: ["metadata", "labels", selector.key]].isNull || existing == nil {
            obj[path: ["metadata", "labels", selector.key]] = .string(selector.primaryValue)
        }
        if let checksum { obj[path: ["metadata", "annotations", checksumAnnotation]] = .string(checksum) }
        if let ownerReference { obj = ObjectMerge.withOwner(obj, ownerReference) }

        let keptReplicas = existing?[path: ["spec", "replicas"]]
        var spec = target["spec"]
        spec[path: ["selector", "matchLabels", selector.key]] = .string(selector.primaryValue)
        spec[path: ["template", "metadata", "labels", selector.key]] = .string(selector.primaryValue)
        var ignored = ConfigReferences()
        spec[path: ["template", "spec"]] = PodSpecConfigRefs.rewrite(
            spec[path: ["template", "spec"]], configMaps: configMaps, secrets: secrets, collect: &ignored)
        if let replicas {
            spec["replicas"] = .int(Int64(replicas))
        } else if let kept = keptReplicas, !kept.isNull {
            spec["replicas"] = kept
        } else if (spec["replicas"].intValue ?? 1) < 1 {
            spec["replicas"] = 1  // the target may be scaled to zero already; the primary must serve
        }
        obj["spec"] = spec
        return obj
    }

    /// A `-primary` copy of a ConfigMap or Secret (data and type kept, server metadata dropped).
    public static func configCopy(of config: JSONValue, ownerReference: JSONValue? = nil) -> JSONValue {
        var obj = config
        for k in ObjectMerge.serverMetadata { obj[path: ["metadata", k]] = .null }
        obj[path: ["metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]] = .null
        if obj[path: ["metadata", "annotations"]].objectValue?.isEmpty == true { obj[path: ["metadata", "annotations"]] = .null }
        obj[path: ["metadata", "name"]] = .string("\(config.name ?? "")-primary")
        if let ownerReference { obj = ObjectMerge.withOwner(obj, ownerReference) }
        return obj
    }

    /// `<hpa>-primary`: the HPA copied with its scaleTargetRef pointed at the primary.
    public static func autoscalerCopy(of hpa: JSONValue, primaryName: String, existing: JSONValue? = nil,
                                      ownerReference: JSONValue? = nil,
                                      replicas: CanaryPrimaryScalerReplicas? = nil) -> JSONValue {
        var obj = existing ?? {
            var o: JSONValue = ["metadata": hpa["metadata"]]
            for k in ObjectMerge.serverMetadata { o[path: ["metadata", k]] = .null }
            o[path: ["metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]] = .null
            if o[path: ["metadata", "annotations"]].objectValue?.isEmpty == true { o[path: ["metadata", "annotations"]] = .null }
            return o
        }()
        obj["apiVersion"] = hpa["apiVersion"]
        obj["kind"] = "HorizontalPodAutoscaler"
        obj["status"] = .null
        obj[path: ["metadata", "name"]] = .string("\(hpa.name ?? "")-primary")
        obj[path: ["metadata", "namespace"]] = hpa["metadata"]["namespace"]
        var spec = hpa["spec"]
        spec[path: ["scaleTargetRef", "name"]] = .string(primaryName)
        // Flagger's autoscalerRef.primaryScalerReplicas: the primary's own bounds.
        if let min = replicas?.minReplicas { spec["minReplicas"] = .int(Int64(min)) }
        if let max = replicas?.maxReplicas { spec["maxReplicas"] = .int(Int64(max)) }
        obj["spec"] = spec
        if let ownerReference { obj = ObjectMerge.withOwner(obj, ownerReference) }
        return obj
    }
}

/// The release checksum: what identifies a revision of the target (its pod template and the
/// data of the configs it tracks). FNV-1a over the sorted-key JSON, so equal inputs hash equal.
public enum ReleaseChecksum {
    public static func compute(podTemplate: JSONValue, configs: [JSONValue] = []) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func feed(_ bytes: [UInt8]) {
            for b in bytes {
                hash ^= UInt64(b)
                hash = hash &* 0x0000_0100_0000_01B3
            }
        }
        feed(podTemplate.serializedBytes())
        let sorted = configs.sorted { "\($0["kind"].stringValue ?? "")/\($0.name ?? "")" < "\($1["kind"].stringValue ?? "")/\($1.name ?? "")" }
        for c in sorted {
            let body: JSONValue = ["kind": c["kind"], "name": .string(c.name ?? ""), "data": c["data"],
                                   "binaryData": c["binaryData"], "stringData": c["stringData"]]
            feed(Array("|".utf8))
            feed(body.serializedBytes())
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

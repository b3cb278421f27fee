import KubeCore
import NIOHTTP1

/// `/version`, `/api`, `/apis` and the per-group-version resource lists kubectl discovers with.
/// Aggregated discovery (apidiscovery.k8s.io) is not served: plain lists make kubectl fall back.
struct Discovery {
    let core: ServerCore

    func answer(_ req: HTTPRequest) -> HTTPResponse? {
        guard req.method == .GET else { return nil }
        let segs = req.path.split(separator: "/").map(String.init)
        switch segs.count {
        case 0:
            return ok(["paths": ["/api", "/api/v1", "/apis", "/version", "/healthz", "/readyz", "/livez"]])
        case 1 where segs[0] == "version":
            return ok([
                "major": "1", "minor": "32", "gitVersion": "v1.32.0-serin-test", "gitCommit": "0000000000000000000000000000000000000000",
                "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc", "platform": "linux/amd64",
            ])
        case 1 where ["healthz", "livez", "readyz"].contains(segs[0]):
            return HTTPResponse.json(.ok, Array("ok".utf8), contentType: "text/plain; charset=utf-8")
        case 1 where segs[0] == "api":
            return ok(["kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"]]])
        case 1 where segs[0] == "apis":
            return ok(["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups().map(\.json))])
        case 2 where segs[0] == "api" && segs[1] == "v1":
            return ok(resourceList(group: "", version: "v1"))
        case 2 where segs[0] == "apis":
            guard let g = groups().first(where: { $0.name == segs[1] }) else { return nil }
            var j = g.json
            j["kind"] = "APIGroup"
            j["apiVersion"] = "v1"
            return ok(j)
        case 3 where segs[0] == "apis":
            let list = resourceList(group: segs[1], version: segs[2])
            return list["resources"].arrayValue?.isEmpty == false ? ok(list) : nil
        default:
            if segs.first == "openapi" {
                return OpenAPI(core: core).answer(segs).map(ok) ?? error404()
            }
            return nil
        }
    }

    struct Group {
        var name: String
        var versions: [String]
        var json: JSONValue {
            let vs: [JSONValue] = versions.map { ["groupVersion": .string("\(name)/\($0)"), "version": .string($0)] }
            return ["name": .string(name), "versions": .array(vs), "preferredVersion": vs[0]]
        }
    }

    func groups() -> [Group] {
        var byGroup: [String: Set<String>] = [:]
        for r in core.store.allServed where !r.type.group.isEmpty { byGroup[r.type.group, default: []].insert(r.type.version) }
        return byGroup.keys.sorted().map { Group(name: $0, versions: byGroup[$0]!.sorted(by: Self.versionPriority)) }
    }

    func resourceList(group: String, version: String) -> JSONValue {
        var resources: [JSONValue] = []
        let served = core.store.allServed.filter { $0.type.group == group && $0.type.version == version }.sorted { $0.type.plural < $1.type.plural }
        for r in served {
            var main: JSONValue = [
                "name": .string(r.type.plural), "singularName": .string(r.singular), "namespaced": .bool(r.type.namespaced),
                "kind": .string(r.type.kind), "verbs": .array(ServedResource.allVerbs.map(JSONValue.string)),
            ]
            if !r.shortNames.isEmpty { main["shortNames"] = .array(r.shortNames.map(JSONValue.string)) }
            if !r.categories.isEmpty { main["categories"] = .array(r.categories.map(JSONValue.string)) }
            resources.append(main)
            if r.hasStatus {
                resources.append([
                    "name": .string(r.type.plural + "/status"), "singularName": "", "namespaced": .bool(r.type.namespaced),
                    "kind": .string(r.type.kind), "verbs": ["get", "patch", "update"],
                ])
            }
            if r.scale != nil {
                resources.append([
                    "name": .string(r.type.plural + "/scale"), "singularName": "", "namespaced": .bool(r.type.namespaced),
                    "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"],
                ])
            }
        }
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"), "resources": .array(resources)]
    }

    /// Kubernetes version priority: GA before beta before alpha, higher numbers first.
    static func versionPriority(_ a: String, _ b: String) -> Bool {
        func key(_ v: String) -> (Int, Int, Int, String) {
            guard v.hasPrefix("v"), let major = Int(v.dropFirst().prefix { $0.isNumber }) else { return (0, 0, 0, v) }
            let rest = v.dropFirst().drop { $0.isNumber }
            if rest.isEmpty { return (3, major, 0, v) }
            for (stage, rank) in [("beta", 2), ("alpha", 1)] where rest.hasPrefix(stage) {
                if let minor = Int(rest.dropFirst(stage.count)) { return (rank, major, minor, v) }
            }
            return (0, 0, 0, v)
        }
        let ka = key(a)
        let kb = key(b)
        if ka.0 != kb.0 { return ka.0 > kb.0 }
        if ka.1 != kb.1 { return ka.1 > kb.1 }
        if ka.2 != kb.2 { return ka.2 > kb.2 }
        return ka.3 < kb.3
    }

    func ok(_ v: JSONValue) -> HTTPResponse { .json(.ok, v.serializedBytes()) }

    func error404() -> HTTPResponse {
        .json(.notFound, APIErrors.pathNotFound("").status!.json.serializedBytes())
    }
}

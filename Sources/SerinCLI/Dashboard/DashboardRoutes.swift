import Foundation
import KubeCore

/// The dashboard's URLs: the page and its assets, the JSON it reads, the change stream, and
/// the manual-control actions.
struct DashboardRoutes: Sendable {
    let session: ClusterSession
    let store: DashboardStore
    let readOnly: Bool
    /// The namespace listed; nil: all.
    let namespace: String?

    func handle(_ req: DashboardRequest) async -> DashboardResponse {
        let path = String(req.path.split(separator: "?", maxSplits: 1).first ?? "")
        let parts = path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        switch (req.method, parts.first) {
        case ("GET", nil), ("GET", "releases"):
            return .data(status: 200, contentType: "text/html; charset=utf-8", body: Array(DashboardAssets.page.utf8))
        case ("GET", "app.js"):
            return .data(status: 200, contentType: "text/javascript; charset=utf-8", body: Array(DashboardAssets.script.utf8))
        case ("GET", "app.css"):
            return .data(status: 200, contentType: "text/css; charset=utf-8", body: Array(DashboardAssets.style.utf8))
        case ("GET", "api") where parts.count == 2 && parts[1] == "releases":
            return .json(200, await list().serialized())
        case ("GET", "api") where parts.count == 2 && parts[1] == "stream":
            return .events(await store.listen())
        case ("GET", "api") where parts.count == 5 && parts[1] == "releases":
            guard let kind = ResourceKind(argument: parts[2]) else { return .text(404, "no such kind\n") }
            return await detail(kind, namespace: parts[3], name: parts[4])
        case ("POST", "api") where parts.count == 6 && parts[1] == "releases":
            return await act(req, kind: parts[2], namespace: parts[3], name: parts[4], verb: parts[5])
        default:
            return .text(404, "not found\n")
        }
    }

    func list() async -> JSONValue {
        let now = Date()
        let objects = await store.objects.sorted { $0.key < $1.key }
        let missing = await store.unavailable
        return [
            "releases": .array(objects.map { DashboardRelease.summary($0.key.kind, $0.value, now: now) }),
            "unavailable": .array(missing.values.sorted().map(JSONValue.string)),
            "namespace": namespace.map(JSONValue.string) ?? "all namespaces",
            "readOnly": .bool(readOnly),
        ]
    }

    func detail(_ kind: ResourceKind, namespace: String, name: String) async -> DashboardResponse {
        let key = DashboardStore.Key(kind: kind, namespace: namespace, name: name)
        guard let o = await store.object(key) else { return .json(404, #"{"error":"no such release"}"#) }
        let now = Date()
        let scoped = ClusterSession(api: session.api, namespace: namespace, server: session.server)
        var runs: [JSONValue] = []
        if kind == .rollout {
            runs = (try? await StatusWatcher(session: scoped, kind: kind, name: name, eventLimit: 20).analysisRuns(of: o)) ?? []
        }
        let events = (try? await EventsView.fetch(session: scoped, kind: kind.kindName, name: name, namespace: namespace)) ?? []
        let verbs = DashboardRelease.verbs(kind, o)
        let allowed = readOnly ? false : await DashboardAccess(api: session.api).mayPatch(kind, namespace: namespace, name: name)
        let history = await store.samples(key).map { s -> JSONValue in
            ["t": .string(KubeTime.format(s.time)), "weight": .int(Int64(s.weight))]
        }
        var out = DashboardRelease.summary(kind, o, now: now)
        out["history"] = .array(history)
        out["metrics"] = .array(DashboardRelease.metrics(kind, o, runs: runs))
        out["steps"] = .array(DashboardRelease.steps(kind, o))
        out["workloads"] = .array(await DashboardRelease.workloads(kind, o, api: session.api))
        out["events"] = .array(DashboardRelease.events(events))
        out["message"] = o["status"]["message"]
        out["actions"] = allowed ? .array(verbs.map { .string($0.rawValue) }) : []
        out["readOnly"] = .bool(readOnly)
        out["mayAct"] = .bool(allowed)
        return .json(200, out.serialized())
    }

    /// Runs a verb through the CLI's own code (`ManualControl.run`). The custom header keeps
    /// other web pages from posting here: a browser sends it cross-site only after a CORS
    /// preflight, which this server never grants.
    func act(_ req: DashboardRequest, kind: String, namespace: String, name: String, verb: String) async -> DashboardResponse {
        guard req.headers["x-serin-dashboard"] == "1" else { return .text(403, "missing X-Serin-Dashboard header\n") }
        guard !readOnly else { return .text(403, "the dashboard runs with --read-only\n") }
        guard let kind = ResourceKind(argument: kind), let verb = ControlVerb(rawValue: verb) else {
            return .text(404, "no such action\n")
        }
        let scoped = ClusterSession(api: session.api, namespace: namespace, server: session.server)
        do {
            let text = try await ManualControl.run(verb, argument: name, kind: kind, session: scoped)
            return .json(200, (["message": .string(text)] as JSONValue).serialized())
        } catch {
            let why = ClusterSession.explain(error, server: session.server)
            let code = (error as? KubeAPIError)?.code == 403 ? 403 : 400
            return .json(code, (["error": .string("\(why)")] as JSONValue).serialized())
        }
    }
}

import Foundation
import KubeCore
import Synchronization

/// Watches one resource in one namespace through the server's in-process API and records
/// every version of every object whose `projection` changed: what a user running
/// `kubectl get -w` would have seen. Survives dropped watches (resumes from the last
/// resourceVersion) and expired history (lists again and notes the gap).
final class ObjectRecorder: Sendable {
    struct Version: Sendable {
        var time: Double
        var name: String
        var object: JSONValue
        var projection: JSONValue
    }

    private struct State {
        var versions: [Version] = []
        var last: [String: JSONValue] = [:]
        var relists = 0
    }

    private let state = Mutex(State())
    private let task = Mutex<Task<Void, Never>?>(nil)
    let projection: @Sendable (JSONValue) -> JSONValue

    private init(projection: @escaping @Sendable (JSONValue) -> JSONValue) { self.projection = projection }

    static func start(api: any KubeAPI, resource: ResourceType, namespace: String,
                      projection: @escaping @Sendable (JSONValue) -> JSONValue) async throws -> ObjectRecorder {
        let r = ObjectRecorder(projection: projection)
        let first = try await api.list(resource, namespace: namespace)
        for o in first.items { r.record(o) }
        let t = Task { await r.follow(api: api, resource: resource, namespace: namespace, from: first.resourceVersion) }
        r.task.withLock { $0 = t }
        return r
    }

    private func follow(api: any KubeAPI, resource: ResourceType, namespace: String, from rv: String) async {
        var rv = rv
        while !Task.isCancelled {
            do {
                let stream = try await api.watch(resource, namespace: namespace,
                                                 options: WatchOptions(resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 600))
                for try await e in stream {
                    if let v = e.object.resourceVersion { rv = v }
                    switch e.type {
                    case .added, .modified: record(e.object)
                    case .error:
                        throw WatchEnded()
                    default: break
                    }
                }
            } catch {
                if Task.isCancelled { return }
                // History expired (or the server said so): list again; versions in between are lost.
                if let list = try? await api.list(resource, namespace: namespace) {
                    state.withLock { $0.relists += 1 }
                    for o in list.items { record(o) }
                    rv = list.resourceVersion
                }
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func record(_ obj: JSONValue) {
        guard let name = obj.name else { return }
        let p = projection(obj)
        state.withLock { s in
            if s.last[name] == p { return }
            s.last[name] = p
            s.versions.append(Version(time: TestTime.now, name: name, object: obj, projection: p))
        }
    }

    func stop() { task.withLock { $0?.cancel() } }

    var versions: [Version] { state.withLock { $0.versions } }
    var relists: Int { state.withLock { $0.relists } }
    func versions(of name: String) -> [Version] { versions.filter { $0.name == name } }
    func latest(_ name: String) -> JSONValue? { versions(of: name).last?.object }
}

struct WatchEnded: Error {}

/// What the status recorder keeps of a Canary: the fields whose sequence the tests check.
enum CanaryView {
    static let projection: @Sendable (JSONValue) -> JSONValue = { c in
        let s = c["status"]
        return [
            "phase": s["phase"], "canaryWeight": s["canaryWeight"], "failedChecks": s["failedChecks"],
            "iterations": s["iterations"], "lastStepTime": s["lastStepTime"], "lastAppliedSpec": s["lastAppliedSpec"],
        ]
    }

    /// Consecutive repeats folded.
    static func folded<T: Equatable>(_ xs: [T]) -> [T] {
        var out: [T] = []
        for x in xs where out.last != x { out.append(x) }
        return out
    }

    static func phases(_ vs: [ObjectRecorder.Version]) -> [String] {
        folded(vs.compactMap { $0.projection["phase"].stringValue })
    }

    static func weights(_ vs: [ObjectRecorder.Version]) -> [Int] {
        folded(vs.compactMap { $0.projection["canaryWeight"].intValue })
    }

    static func failedChecks(_ vs: [ObjectRecorder.Version]) -> [Int] {
        folded(vs.compactMap { $0.projection["failedChecks"].intValue })
    }

    /// Istio: the weight of the `-canary` destination of the last http route.
    static let istioWeight: @Sendable (JSONValue) -> JSONValue = { vs in
        let http = vs[path: ["spec", "http"]].arrayValue ?? []
        for d in http.last?["route"].arrayValue ?? [] where (d["destination"]["host"].stringValue ?? "").hasSuffix("-canary") {
            return d["weight"]
        }
        return .null
    }

    /// Gateway API: the weight of the `-canary` backend of Serin's rule.
    static let gatewayWeight: @Sendable (JSONValue) -> JSONValue = { route in
        for rule in route[path: ["spec", "rules"]].arrayValue ?? [] {
            for b in rule["backendRefs"].arrayValue ?? [] where (b["name"].stringValue ?? "").hasSuffix("-canary") {
                return b["weight"]
            }
        }
        return .null
    }
}

import Foundation
import KubeClient
import KubeCore
import SerinAPI
import Synchronization

/// Watches one routing object (VirtualService or HTTPRoute) and records every canary weight
/// it carried, in order: what a user watching the router would have seen.
final class RouteRecorder: Sendable {
    private let weights = Mutex<[Int]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// `weight` reads the canary weight out of one object version (nil: not Serin's shape yet).
    static func start(client: KubeClient, resource: ResourceType, namespace: String, name: String,
                      weight: @escaping @Sendable (JSONValue) -> Int?) async throws -> RouteRecorder {
        try await start(api: client, resource: resource, namespace: namespace, name: name, weight: weight)
    }

    static func start(api client: any KubeAPI, resource: ResourceType, namespace: String, name: String,
                      weight: @escaping @Sendable (JSONValue) -> Int?) async throws -> RouteRecorder {
        let r = RouteRecorder()
        let list = try await client.list(resource, namespace: namespace)
        if let obj = list.items.first(where: { $0.name == name }), let w = weight(obj) { r.append(w) }
        let stream = try await client.watch(
            resource, namespace: namespace, options: WatchOptions(resourceVersion: list.resourceVersion, timeoutSeconds: 300))
        let t = Task {
            do {
                for try await e in stream where e.object.name == name {
                    if e.type == .added || e.type == .modified, let w = weight(e.object) { r.append(w) }
                }
            } catch {}
        }
        r.task.withLock { $0 = t }
        return r
    }

    private func append(_ w: Int) {
        weights.withLock { list in
            if list.last != w { list.append(w) }
        }
    }

    /// The canary weights seen, consecutive repeats folded.
    var sequence: [Int] { weights.withLock { $0 } }
    var last: Int? { sequence.last }

    func stop() { task.withLock { $0?.cancel() } }

    /// Canary weight of Serin's main VirtualService route.
    static let istioWeight: @Sendable (JSONValue) -> Int? = { vs in
        let http = vs[path: ["spec", "http"]].arrayValue ?? []
        guard let main = http.last else { return nil }
        for d in main["route"].arrayValue ?? [] where (d["destination"]["host"].stringValue ?? "").hasSuffix("-canary") {
            return d["weight"].intValue
        }
        return nil
    }

    /// Canary weight of Serin's HTTPRoute rule (the one with the `-canary` backend).
    static let gatewayWeight: @Sendable (JSONValue) -> Int? = { route in
        for rule in route[path: ["spec", "rules"]].arrayValue ?? [] {
            for b in rule["backendRefs"].arrayValue ?? [] where (b["name"].stringValue ?? "").hasSuffix("-canary") {
                return b["weight"].intValue
            }
        }
        return nil
    }
}

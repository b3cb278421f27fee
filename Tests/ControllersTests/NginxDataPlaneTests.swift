import Foundation
import KubeCore
import SerinAPI
import SerinTestSupport
import Testing
import Traffic

/// The NGINX router's Ingresses through a real nginx (Debian's), rendered by
/// `IngressNginxAdapter` as ingress-nginx would: bounded load (400 requests per weight) splits
/// between two loopback backends as the canary weight says, and the A/B header and cookie
/// annotations send matching requests to the canary.
@Suite("NGINX data plane", .serialized, .timeLimit(.minutes(2)))
struct NginxDataPlaneTests {
    static let requests = 400
    let router = NginxRouter()

    static let userIngress: JSONValue = [
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": ["name": "podinfo", "namespace": "test", "annotations": ["kubernetes.io/ingress.class": "nginx"]],
        "spec": ["rules": [["host": "app.example.com", "http": ["paths": [
            ["path": "/", "pathType": "Prefix", "backend": ["service": ["name": "podinfo", "port": ["number": 80]]]],
        ]]]]],
    ]

    func spec(match: JSONValue? = nil) -> CanarySpec {
        let analysis = match == nil ? CanaryAnalysis(interval: "10s", threshold: 5, maxWeight: 50, stepWeight: 10)
            : CanaryAnalysis(interval: "10s", threshold: 5, iterations: 5, match: match)
        return CanarySpec(provider: "nginx", targetRef: CrossNamespaceRef(name: "podinfo"),
                          ingressRef: CrossNamespaceRef(apiVersion: "networking.k8s.io/v1", kind: "Ingress", name: "podinfo"),
                          service: CanaryService(port: 80), analysis: analysis)
    }

    func canaryIngress(_ spec: CanarySpec, _ weights: RouteWeights) throws -> JSONValue {
        let names = CanaryNames(canaryName: "podinfo", namespace: "test", spec: spec)
        return try #require(router.routingObjects(spec: spec, names: names, selector: SelectorLabel(key: "app", value: "podinfo"),
                                                  weights: weights, existing: ["Ingress/podinfo": Self.userIngress],
                                                  ownerReference: nil).first)
    }

    /// Two backends and nginx serving `ingresses`; `body` runs with the socket path.
    func serve(_ ingresses: [JSONValue], _ body: (String) async throws -> Void) async throws {
        let primary = try await ScriptedHTTPServer.start()
        let canary = try await ScriptedHTTPServer.start()
        primary.script { _ in (200, "primary\n") }
        canary.script { _ in (200, "canary\n") }
        // The apex Service selects the primary's pods (Serin's apex Service), the canary Service the canary's.
        let endpoints = ["podinfo": "127.0.0.1:\(primary.port)", "podinfo-canary": "127.0.0.1:\(canary.port)"]
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("serin-nginx-\(UUID().uuidString.prefix(8))")
        let socket = dir.appendingPathComponent("in.sock").path
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try IngressNginxAdapter.render(ingresses, endpoints: endpoints, listen: socket)
        let nginx = try await NginxProcess.start(config: config, directory: dir, socket: socket)
        do {
            try await body(socket)
        } catch {
            nginx.stop()
            await primary.stop()
            await canary.stop()
            throw error
        }
        nginx.stop()
        await primary.stop()
        await canary.stop()
    }

    /// `count` requests through nginx (one curl, URL globbing), the answers counted by backend.
    static func load(_ socket: String, count: Int = requests, headers: [String] = []) async throws -> [String: Int] {
        var args = ["-s", "--max-time", "60", "--unix-socket", socket]
        for h in headers { args += ["-H", h] }
        args.append("http://app.example.com/[1-\(count)]")
        let out = try await runCurl(args)
        var tally: [String: Int] = [:]
        for line in out.split(separator: "\n") { tally[String(line), default: 0] += 1 }
        return tally
    }

    @Test("the measured split follows the canary weight", arguments: [20, 70])
    func weightedSplit(_ weight: Int) async throws {
        try #require(NginxProcess.available, "nginx is not installed (hack/setup installs it)")
        let ing = try canaryIngress(spec(), RouteWeights(primary: 100 - weight, canary: weight))
        try await serve([Self.userIngress, ing]) { socket in
            let tally = try await Self.load(socket)
            let total = (tally["primary"] ?? 0) + (tally["canary"] ?? 0)
            #expect(total == Self.requests, "\(tally)")
            let share = Double(tally["canary"] ?? 0) * 100 / Double(max(total, 1))
            // 400 draws: the standard deviation of the share is at most 2.5 points; 7.5 is 3 of them.
            #expect(abs(share - Double(weight)) <= 7.5, "canary share \(share)% at weight \(weight): \(tally)")
        }
    }

    @Test("at weight 0 (rollback) every request reaches the primary")
    func rollbackSendsEverythingToThePrimary() async throws {
        try #require(NginxProcess.available, "nginx is not installed (hack/setup installs it)")
        let ing = try canaryIngress(spec(), .primaryOnly)
        try await serve([Self.userIngress, ing]) { socket in
            let tally = try await Self.load(socket, count: 100)
            #expect(tally == ["primary": 100])
        }
    }

    @Test("A/B: the header and the cookie of analysis.match reach the canary, other requests the primary")
    func abTesting() async throws {
        try #require(NginxProcess.available, "nginx is not installed (hack/setup installs it)")
        let match: JSONValue = [["headers": ["x-canary": ["exact": "insider"]]], ["headers": ["cookie": ["exact": "canary"]]]]
        let ing = try canaryIngress(spec(match: match), RouteWeights(primary: 100, canary: 0, abMatch: true))
        try await serve([Self.userIngress, ing]) { socket in
            let insider = try await Self.load(socket, count: 50, headers: ["x-canary: insider"])
            let outsider = try await Self.load(socket, count: 50, headers: ["x-canary: outsider"])
            let cookie = try await Self.load(socket, count: 50, headers: ["Cookie: canary=always"])
            let plain = try await Self.load(socket, count: 50)
            #expect(insider == ["canary": 50])
            #expect(outsider == ["primary": 50])
            #expect(cookie == ["canary": 50])
            #expect(plain == ["primary": 50])
        }
    }
}

import KubeCore
import KubeTestServer
import Testing

/// CEL through the test API server: what a client sees on create and update.
@Suite("CEL rules in the test API server", .timeLimit(.minutes(2)))
struct CELServerTests {
    static let httpRoutes = ResourceType(group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", kind: "HTTPRoute")
    static let gatewayClasses = ResourceType(group: "gateway.networking.k8s.io", version: "v1", plural: "gatewayclasses", kind: "GatewayClass", namespaced: false)

    static func withServer(_ body: (any KubeAPI) async throws -> Void) async throws {
        var options = TestAPIServer.Options()
        options.tls = false
        options.simulateWorkloads = false
        let server = try await TestAPIServer.start(options)
        do {
            try await body(server.api)
            try await server.stop()
        } catch {
            try? await server.stop()
            throw error
        }
    }

    /// The 422 status an operation was refused with (nil when it succeeded or failed otherwise).
    static func refusal(_ op: () async throws -> JSONValue) async -> APIStatus? {
        do {
            _ = try await op()
            return nil
        } catch let e as KubeAPIError {
            if case .invalid(let s) = e { return s }
            return nil
        } catch {
            return nil
        }
    }

    static func gatewayCRD(_ plural: String) throws -> JSONValue {
        let crds = try TestFiles.crds("../shared/thirdparty-crds/gateway-api-v1.6.1-standard.yaml")
        guard let crd = crds.first(where: { $0.name == "\(plural).gateway.networking.k8s.io" }) else { throw KubeAPIError.transport("no \(plural) CRD") }
        return crd
    }

    @Test func oldRolloutsCRDRefusedWithTheRealMessage() async throws {
        let crd = try TestFiles.oldRollouts()
        try await Self.withServer { api in
            let status = await Self.refusal { try await api.create(.customResourceDefinitions, namespace: nil, crd) }
            #expect(status?.code == 422)
            let message = status?.message ?? ""
            let headerValue = "spec.validation.openAPIV3Schema.properties[spec].properties[strategy].properties[canary].properties[steps].items.properties[setHeaderRoute].properties[match].items.properties[headerValue].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of 2.5x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)"
            #expect(message.contains(headerValue), "\(message)")
            #expect(message.contains("spec.validation.openAPIV3Schema: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of 1.012995x"))
            #expect(status?.causes.count == 9)
            let served = await Self.refusal { try await api.get(.customResourceDefinitions, namespace: nil, name: "rollouts.serin.dev") }
            #expect(served == nil)
        }
    }

    static func route(_ path: String) -> JSONValue {
        [
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": ["name": "web", "namespace": "default"],
            "spec": [
                "parentRefs": [["name": "gw"]],
                "rules": [["matches": [["path": ["type": "PathPrefix", "value": .string(path)]]], "backendRefs": [["name": "web", "port": 80]]]],
            ],
        ]
    }

    @Test func httpRouteRulesRefuseAndAccept() async throws {
        let crd = try Self.gatewayCRD("httproutes")
        try await Self.withServer { api in
            _ = try await api.create(.customResourceDefinitions, namespace: nil, crd)
            let bad = await Self.refusal { try await api.create(Self.httpRoutes, namespace: "default", Self.route("api")) }
            #expect(bad?.code == 422)
            let cause = bad?.causes.first { $0.field == "spec.rules[0].matches[0].path" }
            #expect(cause?.type == "FieldValueInvalid")
            #expect(cause?.message == "Invalid value: \"object\": value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']")
            #expect(bad?.message.hasPrefix("HTTPRoute.gateway.networking.k8s.io \"web\" is invalid: ") == true, "\(bad?.message ?? "")")

            var filter = Self.route("/api")
            filter["spec"]["rules"][0]["filters"] = [["type": "RequestHeaderModifier"]]
            let mismatch = await Self.refusal { try await api.create(Self.httpRoutes, namespace: "default", filter) }
            let fc = mismatch?.causes.first { $0.field == "spec.rules[0].filters[0]" }
            #expect(fc?.message == "Invalid value: \"object\": filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type", "\(mismatch?.causes ?? [])")

            let created = try await api.create(Self.httpRoutes, namespace: "default", Self.route("/api"))
            #expect(created["spec"]["rules"][0]["matches"][0]["path"]["value"] == "/api")
        }
    }

    @Test func transitionRuleRefusesAnUpdate() async throws {
        let crd = try Self.gatewayCRD("gatewayclasses")
        try await Self.withServer { api in
            _ = try await api.create(.customResourceDefinitions, namespace: nil, crd)
            let gc: JSONValue = [
                "apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                "metadata": ["name": "serin"], "spec": ["controllerName": "example.net/gateway-controller"],
            ]
            var stored = try await api.create(Self.gatewayClasses, namespace: nil, gc)
            stored["spec"]["description"] = "same controller"
            stored = try await api.update(Self.gatewayClasses, namespace: nil, stored)
            stored["spec"]["controllerName"] = "example.net/other-controller"
            let changed = stored
            let status = await Self.refusal { try await api.update(Self.gatewayClasses, namespace: nil, changed) }
            #expect(status?.code == 422)
            let cause = status?.causes.first
            #expect(cause?.field == "spec.controllerName")
            #expect(cause?.message == "Invalid value: \"string\": Value is immutable")
        }
    }
}

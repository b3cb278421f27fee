import KubeCore
import Testing
@testable import KubeSchema

/// Rules compile once per schema; validating an object only evaluates.
@Suite("CEL validation cost in time")
struct CELPerformanceTests {
    @Test func httpRouteValidationIsCheap() throws {
        let crds = try TestFiles.crds("../shared/thirdparty-crds/gateway-api-v1.6.1-standard.yaml")
        let crdFound = crds.first { $0.name == "httproutes.gateway.networking.k8s.io" }
        let crd = try #require(crdFound)
        let schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        var route = CELServerTests.route("/api")
        route["spec"]["rules"][0]["matches"][0]["path"]["type"] = "PathPrefix"
        route["spec"]["rules"][0]["backendRefs"][0]["group"] = ""
        route["spec"]["rules"][0]["backendRefs"][0]["kind"] = "Service"
        route["spec"]["parentRefs"][0]["group"] = "gateway.networking.k8s.io"
        route["spec"]["parentRefs"][0]["kind"] = "Gateway"
        let first = CELValidation.causes(schema: schema, object: route, old: nil)
        #expect(first.isEmpty, "\(first)")
        let clock = ContinuousClock()
        let n = 500
        let elapsed = clock.measure {
            for _ in 0..<n { _ = CELValidation.causes(schema: schema, object: route, old: nil) }
        }
        let perObject = elapsed / n
        print("HTTPRoute CEL validation: \(perObject) per object (\(n) objects)")
        #expect(perObject < .milliseconds(20))
    }
}

import KubeCore
import KubeRuntime
import Testing

/// A candidate that can never take the lease says why, with the fix, instead of a bare "not leading".
@Suite struct LeaseFailureTests {
    @Test func aMissingNamespaceAndAMissingPermissionAreNamedWithTheFix() {
        let missing = LeaderElector.lastingCause(KubeAPIError.notFound(APIStatus(code: 404, reason: "NotFound", message: "namespaces \"serin-system\" not found")), namespace: "serin-system")
        #expect(missing == "namespace serin-system does not exist; create it (kubectl create namespace serin-system) or set --lease-namespace")
        let forbidden = LeaderElector.lastingCause(KubeAPIError.forbidden(APIStatus(code: 403, reason: "Forbidden", message: "no")), namespace: "ops")
        #expect(forbidden?.contains("grant coordination.k8s.io leases") == true)
        #expect(LeaderElector.lastingCause(KubeAPIError.conflict(APIStatus(code: 409, reason: "Conflict", message: "")), namespace: "ops") == nil)
    }
}

import Testing

@testable import KubeCore

@Suite struct KubeNamesTests {
    static let subdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let labelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

    @Test(arguments: ["a", "podinfo", "podinfo-primary", "a.b.c", "0abc", "x-1.y-2", String(repeating: "a", count: 253)])
    func validSubdomains(_ s: String) {
        #expect(KubeNames.dns1123SubdomainErrors(s) == [])
    }

    @Test(arguments: ["", "Podinfo", "-a", "a-", "a..b", ".a", "a.", "a_b", "a b", "ä"])
    func invalidSubdomainsGetKubesMessage(_ s: String) {
        #expect(KubeNames.dns1123SubdomainErrors(s) == [Self.subdomainMessage])
    }

    @Test func subdomainLengthLimit() {
        let long = String(repeating: "a", count: 254)
        #expect(KubeNames.dns1123SubdomainErrors(long) == ["must be no more than 253 characters"])
        let longAndBad = String(repeating: "A", count: 254)
        #expect(KubeNames.dns1123SubdomainErrors(longAndBad) == ["must be no more than 253 characters", Self.subdomainMessage])
    }

    @Test func labels() {
        #expect(KubeNames.dns1123LabelErrors("default") == [])
        #expect(KubeNames.dns1123LabelErrors(String(repeating: "a", count: 63)) == [])
        #expect(KubeNames.dns1123LabelErrors("a.b") == [Self.labelMessage])
        #expect(KubeNames.dns1123LabelErrors("") == [Self.labelMessage])
        #expect(KubeNames.dns1123LabelErrors(String(repeating: "a", count: 64)) == ["must be no more than 63 characters"])
    }

    @Test func qualifiedNamesAndLabelValues() {
        #expect(KubeNames.qualifiedNameErrors("app.kubernetes.io/name") == [])
        #expect(KubeNames.qualifiedNameErrors("MyName") == [])
        #expect(KubeNames.qualifiedNameErrors("/name") == ["prefix part must be non-empty"])
        #expect(KubeNames.qualifiedNameErrors("a/b/c").first?.hasPrefix("a qualified name must consist of") == true)
        #expect(KubeNames.qualifiedNameErrors("x/").first == "name part must be non-empty")
        #expect(KubeNames.labelValueErrors("") == [])
        #expect(KubeNames.labelValueErrors("v1.2_3-x") == [])
        #expect(KubeNames.labelValueErrors("-x").count == 1)
    }
}

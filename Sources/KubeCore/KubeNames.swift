/// Name validation with kube-apiserver's own messages (k8s.io/apimachinery/pkg/util/validation),
/// so a 422 from the test server reads exactly like one from a cluster.
public enum KubeNames {
    static let dns1123LabelMaxLength = 63
    static let dns1123SubdomainMaxLength = 253
    static let qualifiedNameMaxLength = 63
    static let labelValueMaxLength = 63

    static let dns1123LabelFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    static let dns1123SubdomainFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
    static let qualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let labelValueFormat = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"

    /// Errors for a DNS-1123 label (namespace names, Service names); empty when valid.
    public static func dns1123LabelErrors(_ s: String) -> [String] {
        var errs: [String] = []
        if s.utf8.count > dns1123LabelMaxLength { errs.append(maxLenError(dns1123LabelMaxLength)) }
        if !isDNS1123Label(s) {
            errs.append(
                regexError(
                    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                    dns1123LabelFormat, ["my-name", "123-abc"]))
        }
        return errs
    }

    /// Errors for a DNS-1123 subdomain (most object names); empty when valid.
    public static func dns1123SubdomainErrors(_ s: String) -> [String] {
        var errs: [String] = []
        if s.utf8.count > dns1123SubdomainMaxLength { errs.append(maxLenError(dns1123SubdomainMaxLength)) }
        if !isDNS1123Subdomain(s) {
            errs.append(
                regexError(
                    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                    dns1123SubdomainFormat, ["example.com"]))
        }
        return errs
    }

    /// Errors for a label or annotation key (`[prefix/]name`).
    public static func qualifiedNameErrors(_ s: String) -> [String] {
        let msg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        var errs: [String] = []
        let parts = s.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let name: String
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            let prefix = parts[0]
            name = parts[1]
            if prefix.isEmpty {
                errs.append("prefix part must be non-empty")
            } else {
                errs.append(contentsOf: dns1123SubdomainErrors(prefix).map { "prefix part " + $0 })
            }
        default:
            return [
                "a qualified name "
                    + regexError(msg, qualifiedNameFormat, ["MyName", "my.name", "123-abc"])
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ]
        }
        if name.isEmpty {
            errs.append("name part must be non-empty")
        } else if name.utf8.count > qualifiedNameMaxLength {
            errs.append("name part " + maxLenError(qualifiedNameMaxLength))
        }
        if !isQualifiedNamePart(name) {
            errs.append("name part " + regexError(msg, qualifiedNameFormat, ["MyName", "my.name", "123-abc"]))
        }
        return errs
    }

    /// Errors for a label value (may be empty).
    public static func labelValueErrors(_ s: String) -> [String] {
        var errs: [String] = []
        if s.utf8.count > labelValueMaxLength { errs.append(maxLenError(labelValueMaxLength)) }
        if !s.isEmpty && !isQualifiedNamePart(s) {
            errs.append(
                regexError(
                    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                    labelValueFormat, ["MyValue", "my_value", "12345"]))
        }
        return errs
    }

    // MARK: - Message builders (same wording as apimachinery)

    static func maxLenError(_ n: Int) -> String { "must be no more than \(n) characters" }

    static func regexError(_ msg: String, _ format: String, _ examples: [String]) -> String {
        if examples.isEmpty { return msg + " (regex used for validation is '" + format + "')" }
        var out = msg + " (e.g. "
        for (i, e) in examples.enumerated() {
            if i > 0 { out += " or " }
            out += "'" + e + "', "
        }
        return out + "regex used for validation is '" + format + "')"
    }

    // MARK: - Matchers for the formats above (no regex engine needed)

    static func isLowerAlnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
    static func isAlnum(_ c: UInt8) -> Bool { isLowerAlnum(c) || (c >= 0x41 && c <= 0x5A) }

    static func isDNS1123Label<S: StringProtocol>(_ s: S) -> Bool {
        let b = Array(s.utf8)
        guard let f = b.first, let l = b.last, isLowerAlnum(f), isLowerAlnum(l) else { return false }
        return b.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    static func isDNS1123Subdomain(_ s: String) -> Bool {
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { isDNS1123Label($0) }
    }

    static func isQualifiedNamePart(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let f = b.first, let l = b.last, isAlnum(f), isAlnum(l) else { return false }
        return b.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }
}

import Crypto
import Foundation

/// AWS credentials: an access key pair and, for temporary credentials, a session token.
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// From Secret keys `aws_access_key_id`, `aws_secret_access_key` (and `aws_session_token`),
    /// else the process's `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`;
    /// the error says where credentials are looked for.
    static func resolve(secret: [String: String], environment: [String: String], provider: String) throws -> AWSCredentials {
        func nonEmpty(_ v: String?) -> String? { v.flatMap { $0.isEmpty ? nil : $0 } }
        if let id = nonEmpty(secret["aws_access_key_id"]) {
            guard let key = nonEmpty(secret["aws_secret_access_key"]) else {
                throw MetricSpecError("the \(provider) provider's Secret has aws_access_key_id but no aws_secret_access_key")
            }
            return AWSCredentials(accessKeyID: id, secretAccessKey: key, sessionToken: nonEmpty(secret["aws_session_token"]))
        }
        if let id = nonEmpty(environment["AWS_ACCESS_KEY_ID"]), let key = nonEmpty(environment["AWS_SECRET_ACCESS_KEY"]) {
            return AWSCredentials(accessKeyID: id, secretAccessKey: key, sessionToken: nonEmpty(environment["AWS_SESSION_TOKEN"]))
        }
        var why = "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the operator's environment"
            + " (or aws_access_key_id and aws_secret_access_key in the template's secretRef Secret)"
        if nonEmpty(environment["AWS_WEB_IDENTITY_TOKEN_FILE"]) != nil || nonEmpty(environment["AWS_ROLE_ARN"]) != nil {
            why += "; web identity (IRSA) role credentials are not supported by Serin yet"
        }
        throw MetricSpecError(why)
    }

    /// The key id only: the secret parts never appear in messages.
    public var description: String { "AWSCredentials(\(accessKeyID))" }

    var secrets: [String] { [secretAccessKey] + (sessionToken.map { [$0] } ?? []) }
}

/// AWS Signature Version 4 for one request (the `Authorization` header form).
public struct AWSSigV4: Sendable {
    public var region: String
    public var service: String

    public init(region: String, service: String) {
        self.region = region
        self.service = service
    }

    /// `headers` plus `Host`, `X-Amz-Date`, `X-Amz-Security-Token` (temporary credentials) and
    /// `Authorization`; every header given is signed.
    public func sign(method: String, url: String, headers: [(String, String)], body: [UInt8],
                     credentials: AWSCredentials, date: Date) throws -> [(String, String)] {
        guard let c = URLComponents(string: url), let host = c.host, !host.isEmpty else { throw MetricHTTPError.invalidURL(url) }
        let (amzDate, day) = Self.timestamps(date)
        var all = headers.filter { $0.0.lowercased() != "host" && $0.0.lowercased() != "authorization" }
        let defaultPort = (c.scheme == "https" && c.port == 443) || (c.scheme == "http" && c.port == 80)
        all.insert(("Host", c.port.map { defaultPort ? host : "\(host):\($0)" } ?? host), at: 0)
        all.append(("X-Amz-Date", amzDate))
        if let t = credentials.sessionToken { all.append(("X-Amz-Security-Token", t)) }

        let canonicalHeaders = Dictionary(all.map { ($0.0.lowercased(), Self.trim($0.1)) }) { a, b in a + "," + b }
        let names = canonicalHeaders.keys.sorted()
        let signedHeaders = names.joined(separator: ";")
        let canonical = [
            method.uppercased(),
            Self.canonicalPath(c.percentEncodedPath),
            Self.canonicalQuery(c.percentEncodedQuery),
            names.map { "\($0):\(canonicalHeaders[$0]!)\n" }.joined(),
            signedHeaders,
            Self.hex(SHA256.hash(data: body)),
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let toSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n" + Self.hex(SHA256.hash(data: Array(canonical.utf8)))
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: key))
        all.append(("Authorization",
                    "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"))
        return all
    }

    /// `20150830T123600Z` and `20150830`, in UTC.
    static func timestamps(_ date: Date) -> (String, String) {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let d = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let day = String(format: "%04d%02d%02d", d.year!, d.month!, d.day!)
        return (day + String(format: "T%02d%02d%02dZ", d.hour!, d.minute!, d.second!), day)
    }

    static let unreserved: CharacterSet = {
        var s = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        s.insert(charactersIn: "-_.~")
        return s
    }()

    static func encode(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: unreserved) ?? s }

    /// Each segment of the (already encoded) path encoded once more, as services other than S3 expect.
    static func canonicalPath(_ path: String) -> String {
        if path.isEmpty { return "/" }
        return path.split(separator: "/", omittingEmptySubsequences: false).map { encode(String($0)) }.joined(separator: "/")
    }

    /// Parameters decoded, encoded again the AWS way, sorted by name then value.
    static func canonicalQuery(_ query: String?) -> String {
        guard let query, !query.isEmpty else { return "" }
        let pairs = query.split(separator: "&").map { part -> (String, String) in
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func dec(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            return (encode(dec(kv[0])), kv.count > 1 ? encode(dec(kv[1])) : "")
        }
        return pairs.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Leading and trailing spaces removed, inner runs of spaces made one.
    static func trim(_ v: String) -> String {
        v.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}

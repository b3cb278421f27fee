import Foundation
import KubeCore
import KubeSchema

/// Server-side field validation of custom resources, as kube-apiserver does it (the
/// `fieldValidation` query parameter of create, update and patch):
///
/// - `Strict`: a body with unknown or duplicate fields is refused, 400 BadRequest
///   (`<Kind> in version "<v>" cannot be handled as a <Kind>: strict decoding error: …`)
///   for create and update, 422 Invalid on `patch` for merge and JSON patches
///   (apiserver handlers/create.go, update.go, patch.go; the CR codec's
///   `schemaCoercingDecoder` in apiextensions-apiserver customresource_handler.go).
/// - `Warn`, the default when the parameter is absent: the object is stored pruned and each
///   problem comes back as a `Warning: 299 - "…"` header.
/// - `Ignore`: pruned silently.
///
/// The problems are listed as the real codec lists them: duplicate fields in document order
/// first, then unknown fields of the root `metadata`, then the paths pruning drops, sorted.
enum FieldValidation: String, Sendable {
    case ignore = "Ignore"
    case warn = "Warn"
    case strict = "Strict"

    /// The directive of a request; `options` is the kind of the options object the server
    /// names when the value is not supported (`CreateOptions`, `UpdateOptions`, `PatchOptions`).
    static func directive(_ query: [String: String], options: String) throws -> FieldValidation {
        let raw = query["fieldValidation"] ?? ""
        if raw.isEmpty { return .warn }
        if let d = FieldValidation(rawValue: raw) { return d }
        let why = "Unsupported value: \"\(raw)\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\""
        throw KubeAPIError.invalid(APIStatus(
            code: 422, reason: "Invalid", message: "\(options).meta.k8s.io \"\" is invalid: fieldValidation: \(why)",
            causes: [APIStatus.Cause(type: "FieldValueNotSupported", message: why, field: "fieldValidation")],
            details: ["group": "meta.k8s.io", "kind": .string(options)]))
    }

    /// ObjectMeta's JSON fields: anything else under the root `metadata` is an unknown field.
    static let objectMetaFields: Set<String> = [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
        "managedFields",
    ]

    /// The strict decoding problems of a custom resource body: `duplicates` as found in the raw
    /// body (already worded), then `unknown field "…"` for what pruning would drop.
    static func problems(_ r: ServedResource, _ object: JSONValue, duplicates: [String]) -> [String] {
        guard r.isCustom else { return [] }
        var out = duplicates
        if let meta = object["metadata"].objectValue {
            for k in meta.keys.sorted() where !objectMetaFields.contains(k) { out.append("unknown field \"metadata.\(k)\"") }
        }
        for path in CRDPruning.unknownFields(schema: r.schema, object: object) { out.append("unknown field \"\(path)\"") }
        return out
    }

    /// What a create or update does with the problems of its body: Strict throws the real
    /// server's BadRequest, Warn returns them as warnings, Ignore drops them.
    func check(_ r: ServedResource, _ object: JSONValue, duplicates: [String]) throws -> [String] {
        guard self != .ignore else { return [] }
        let found = Self.problems(r, object, duplicates: duplicates)
        guard !found.isEmpty else { return [] }
        if self == .warn { return Self.warnings(found) }
        let kind = object["kind"].stringValue ?? r.type.kind
        let version = object["apiVersion"].stringValue.map { $0.split(separator: "/").last.map(String.init) ?? $0 } ?? r.type.version
        throw APIErrors.badRequest(
            "\(kind) in version \"\(version)\" cannot be handled as a \(r.type.kind): strict decoding error: \(found.joined(separator: ", "))")
    }

    /// The patch flavour: the problems of the patched object, after those of the patch body;
    /// Strict is a 422 on the field `patch` whose value is the patched object.
    func checkPatched(_ r: ServedResource, _ patched: JSONValue, duplicates: [String]) throws -> [String] {
        guard self != .ignore else { return [] }
        let found = Self.problems(r, patched, duplicates: duplicates)
        guard !found.isEmpty else { return [] }
        if self == .warn { return Self.warnings(found) }
        let why = "Invalid value: \(patched.serialized().goQuoted): strict decoding error: \(found.joined(separator: ", "))"
        throw KubeAPIError.invalid(APIStatus(
            code: 422, reason: "Invalid", message: " \"\" is invalid: patch: \(why)",
            causes: [APIStatus.Cause(type: "FieldValueInvalid", message: why, field: "patch")]))
    }

    /// One warning per problem (a multi-line YAML decoder error would become one per line, as
    /// apiserver's `parseYAMLWarnings` splits it).
    static func warnings(_ problems: [String]) -> [String] {
        var out: [String] = []
        for p in problems {
            if p.hasPrefix(yamlErrorPrefix) {
                out += p.dropFirst(yamlErrorPrefix.count).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            } else {
                out.append(p)
            }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }

    static let yamlErrorPrefix = "yaml: unmarshal errors:\n"

    /// The `Warning` header value for one warning text (RFC 7234 warn-code 299, agent `-`).
    static func warningHeader(_ text: String) -> String {
        var quoted = ""
        for c in text {
            if c == "\"" || c == "\\" { quoted.append("\\") }
            quoted.append(c)
        }
        return "299 - \"\(quoted)\""
    }
}

/// Duplicate object keys in a JSON request body, which the JSON value type drops (the last
/// one wins, as in Go): what the strict JSON decoder reports.
enum DuplicateFields {
    /// `duplicate field "spec.ports[0].hostPort"` for each repeated key of a JSON text, in
    /// document order (sigs.k8s.io/json's wording and path notation).
    static func json(_ bytes: [UInt8]) -> [String] {
        var s = Scanner(bytes: bytes)
        s.value("")
        return s.found.map { "duplicate field \"\($0)\"" }
    }

    /// A structural walk of JSON text that only remembers keys; the body has already been
    /// parsed, so malformed input just ends the walk.
    struct Scanner {
        let bytes: [UInt8]
        var i = 0
        var found: [String] = []
        var failed = false

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        mutating func value(_ path: String) {
            skipSpace()
            guard i < bytes.count, !failed else { failed = true; return }
            switch bytes[i] {
            case UInt8(ascii: "{"): object(path)
            case UInt8(ascii: "["): array(path)
            case UInt8(ascii: "\""): _ = string()
            default:
                while i < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
            }
        }

        mutating func object(_ path: String) {
            i += 1
            var seen = Set<String>()
            while !failed {
                skipSpace()
                guard i < bytes.count else { failed = true; return }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "\"") else { failed = true; return }
                let key = string()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { failed = true; return }
                i += 1
                let child = path.isEmpty ? key : "\(path).\(key)"
                if !seen.insert(key).inserted { found.append(child) }
                value(child)
            }
        }

        mutating func array(_ path: String) {
            i += 1
            var index = 0
            while !failed {
                skipSpace()
                guard i < bytes.count else { failed = true; return }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                value("\(path)[\(index)]")
                index += 1
            }
        }

        /// A string token, unescaped (enough for keys: `\"`, `\\`, `\/`, `\uXXXX`, controls).
        mutating func string() -> String {
            i += 1
            var out: [UInt8] = []
            while i < bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: "\"") { i += 1; return String(decoding: out, as: UTF8.self) }
                if b == UInt8(ascii: "\\"), i + 1 < bytes.count {
                    let e = bytes[i + 1]
                    i += 2
                    switch e {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        if i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16),
                            let u = Unicode.Scalar(v)
                        {
                            out += Array(String(Character(u)).utf8)
                        }
                        i += 4
                    default: out.append(e)
                    }
                    continue
                }
                out.append(b)
                i += 1
            }
            failed = true
            return String(decoding: out, as: UTF8.self)
        }
    }
}

extension Router {
    /// The duplicate fields of a create or update body, worded by its decoder (JSON or YAML);
    /// only custom resources are checked.
    func bodyDuplicates(_ req: HTTPRequest, _ r: ServedResource, _ directive: FieldValidation) -> [String] {
        guard r.isCustom, directive != .ignore else { return [] }
        let contentType = (req.headers.first(name: "Content-Type") ?? "application/json").split(separator: ";").first.map(String.init) ?? ""
        switch contentType {
        case "application/json", "": return DuplicateFields.json(req.body)
        // Yams refuses repeated keys while parsing, so a YAML body that got here has none.
        default: return []
        }
    }

    /// The response of `serve`, or of its error, with one `Warning` header per warning:
    /// apiserver sends the warnings a request collected whatever its outcome.
    func withWarnings(_ warnings: [String], _ serve: () throws -> HTTPResponse) throws -> HTTPResponse {
        var response: HTTPResponse
        do { response = try serve() } catch let e as KubeAPIError { response = error(e) }
        for w in warnings { response.headers.add(name: "Warning", value: FieldValidation.warningHeader(w)) }
        return response
    }
}

/// Field validation of a merge or JSON patch of a custom resource: the strict problems of
/// the patch body itself, then those of the patched object, seen inside the store's write.
final class PatchFieldCheck {
    let resource: ServedResource
    let directive: FieldValidation
    let bodyProblems: [String]
    private(set) var warnings: [String] = []

    init(resource: ServedResource, directive: FieldValidation, type: PatchType, body: [UInt8], patch: JSONValue) {
        self.resource = resource
        self.directive = directive
        guard resource.isCustom, directive != .ignore else {
            bodyProblems = []
            return
        }
        switch type {
        case .merge:
            bodyProblems = DuplicateFields.json(body)
        case .json:
            // The operations decode strictly into {op, path, from, value}.
            var problems: [String] = []
            var scanner = DuplicateFields.Scanner(bytes: body)
            scanner.value("")
            let dupes = scanner.found
            for (i, op) in (patch.arrayValue ?? []).enumerated() {
                for k in (op.objectValue?.keys.sorted() ?? []) where !["op", "path", "from", "value"].contains(k) {
                    problems.append("json patch unknown field \"[\(i)].\(k)\"")
                }
                for d in dupes where d.hasPrefix("[\(i)].") { problems.append("json patch duplicate field \"\(d)\"") }
            }
            bodyProblems = problems
        case .strategicMerge:
            bodyProblems = []
        }
    }

    func inspect(_ patched: JSONValue) throws {
        warnings = try directive.checkPatched(resource, patched, duplicates: bodyProblems)
    }
}

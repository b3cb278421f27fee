import Foundation
import KubeCore
import KubeTestServer
import Testing
import SerinTestSupport

/// Real Flagger and Argo Rollouts manifests (../shared/peer-manifests, only apiVersion changed)
/// through `serin lint` and through the test API server with every Serin CRD installed, as
/// `kubectl create` sends them (fieldValidation=Strict, here with dryRun=All so that objects
/// of the same name do not collide; references to templates are not checked, as the server
/// does not check them).
///
/// The rule, per document:
/// - peer-valid: accepted by both; or refused by lint with a message naming the unsupported
///   feature (the message holds the feature's name, from INDEX.tsv's `features` or the kind,
///   and "not supported" / "unsupported").
/// - peer-invalid (`peer-says-invalid` / `peer-expected-failure` in `notes`): refused, by the
///   server or by lint.
/// - Fragments (`fragment:no-targetRef`, `fragment:no-template,no-selector`, …: elided doc
///   snippets, and any `no-X` in `notes`): judged like peer-valid documents, except that a
///   refusal is allowed when every error lint and the server give is about a part the snippet
///   leaves out: one the notes name (`no-targetRef` → spec.targetRef, `no-spec` → spec, …), a
///   field absent, null or `{}` in it, or a message saying something is missing or required.
///   An error about a field the snippet does show fails the rule. A document with no
///   metadata.name (a snippet that shows only the spec) is given the name `unnamed` first.
/// - The known gap: Flagger's per-metric `threshold` (spec.analysis.metrics[].threshold), which
///   the CRD and the Swift types gain in another change. A document refused only for it is
///   counted apart and does not fail the test; delete `isKnownGap` when the field lands.
/// - Broken snippets (`brokenInPeerDocs`, with the reason): documents INDEX.tsv calls valid
///   that the peer's own API server refuses; judged as peer-invalid.
@Suite(.serialized) struct PeerManifestTests {
    static let directory = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/peer-manifests")
    /// `spec.analysis.metrics[N].threshold`.
    static func isKnownGap(_ path: String) -> Bool {
        guard path.hasPrefix("spec.analysis.metrics["), path.hasSuffix("].threshold") else { return false }
        let index = path.dropFirst("spec.analysis.metrics[".count).dropLast("].threshold".count)
        return !index.isEmpty && index.allSatisfy(\.isNumber)
    }

    struct Entry {
        var file: String
        var kind: String
        var features: [String]
        var notes: String
        var defaultProvider: String
        var peerInvalid: Bool { notes.contains("peer-says-invalid") || notes.contains("peer-expected-failure") }
        /// Paths the notes say are left out of the snippet.
        var missingParts: [String] {
            var parts: [String] = []
            for note in notes.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }).map(String.init) {
                let token = note.hasPrefix("fragment:") ? String(note.dropFirst("fragment:".count)) : note
                guard token.hasPrefix("no-") else { continue }
                let part = String(token.dropFirst(3))
                parts.append(part == "spec" ? "spec" : "spec.\(part)")
            }
            return parts
        }
        var isFragment: Bool { !missingParts.isEmpty }
    }

    /// INDEX.tsv's rows by file, and every YAML file on disk (a file without a row is judged as peer-valid).
    static func entries() throws -> [Entry] {
        let index = try String(contentsOf: directory.appendingPathComponent("INDEX.tsv"), encoding: .utf8)
        var rows: [String: Entry] = [:]
        for line in index.split(separator: "\n").dropFirst() {
            let c = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard c.count >= 5 else { continue }
            rows[c[0]] = Entry(file: c[0], kind: c[1], features: c[3].split(separator: ",").map(String.init),
                               notes: c[4],
                               defaultProvider: c.count > 5 ? c[5] : "")
        }
        var out: [Entry] = []
        for sub in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() {
            var isDir: ObjCBool = false
            let subPath = directory.appendingPathComponent(sub).path
            guard FileManager.default.fileExists(atPath: subPath, isDirectory: &isDir), isDir.boolValue else { continue }
            for name in try FileManager.default.contentsOfDirectory(atPath: subPath).sorted()
            where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                let file = "\(sub)/\(name)"
                out.append(rows[file] ?? Entry(file: file, kind: "", features: [], notes: "", defaultProvider: ""))
            }
        }
        return out
    }

    struct Finding: Sendable {
        var path: String
        var message: String
    }

    enum Outcome {
        case accepted
        case unsupported(feature: String)
        case invalid
        case fragmentGap
        case knownGap
        case failed(String)
    }

    /// Lint's errors, read back from its output (`… error: PATH: message`).
    static func lintErrors(_ output: String) -> [Finding] {
        var out: [Finding] = []
        for line in output.split(separator: "\n") {
            guard let r = line.range(of: ": error: ") else { continue }
            let rest = String(line[r.upperBound...])
            // A path has no spaces; a message for the whole document starts with a word and a space.
            if let colon = rest.range(of: ": "), !rest[..<colon.lowerBound].contains(" ") {
                out.append(Finding(path: String(rest[..<colon.lowerBound]), message: String(rest[colon.upperBound...])))
            } else {
                out.append(Finding(path: "", message: rest))
            }
        }
        return out
    }

    /// The server's refusal, as fields and messages (the Status causes, or its message).
    static func serverErrors(_ status: Int, _ body: JSONValue) -> [Finding]? {
        guard !(200..<300).contains(status) else { return nil }
        let causes = body["details"]["causes"].arrayValue ?? []
        if causes.isEmpty {
            let message = body["message"].stringValue ?? "HTTP \(status)"
            // Strict field validation names the fields in the message.
            let unknown = message.components(separatedBy: "unknown field \"").dropFirst().compactMap { $0.split(separator: "\"").first.map(String.init) }
            if !unknown.isEmpty { return unknown.map { Finding(path: $0, message: "unknown field \"\($0)\"") } }
            return [Finding(path: "", message: message)]
        }
        return causes.map { Finding(path: $0["field"].stringValue ?? "", message: $0["message"].stringValue ?? "") }
    }

    static func covered(_ path: String, by parts: [String]) -> Bool {
        parts.contains { path == $0 || path.hasPrefix($0 + ".") || path.hasPrefix($0 + "[") }
    }

    /// The feature an "unsupported" lint message names, from the document's features and kind.
    static func unsupportedFeature(_ errors: [Finding], _ entry: Entry, kind: String) -> String? {
        var names: [(label: String, name: String)] = []
        for f in entry.features {
            let value = f.split(separator: "=", maxSplits: 1).last.map(String.init) ?? f
            if value == "(default)" {
                if !entry.defaultProvider.isEmpty { names.append(("provider=\(entry.defaultProvider)", entry.defaultProvider)) }
                continue
            }
            names.append((f, value))
        }
        names.append(("kind=\(kind)", kind))
        let unsupported = errors.filter { e in
            let lower = e.message.lowercased()
            return lower.contains("not supported") || lower.contains("unsupported")
        }
        // The feature is what the message puts before "is not supported": INDEX.tsv's name for
        // it when one of the document's features is named there, else those words.
        for e in unsupported {
            guard let phrase = featurePhrase(e.message) else { continue }
            for n in names where !n.name.isEmpty && phrase.contains(n.name) { return n.label }
            return phrase
        }
        return nil
    }

    /// `unknown field "spec.x": pingPong (ALB ping-pong Services) is not supported by Serin` → `pingPong`.
    static func featurePhrase(_ message: String) -> String? {
        if message.hasPrefix("Unsupported value: ") {
            // The server's enum verdict: `Unsupported value: "graphite": supported values: …`.
            let value = message.dropFirst("Unsupported value: ".count).split(separator: ":").first ?? ""
            return value.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        }
        guard let end = message.range(of: " is not supported") ?? message.range(of: " are not supported") else { return nil }
        var head = message[..<end.lowerBound]
        while let open = head.range(of: " ("), let close = head[open.upperBound...].firstIndex(of: ")") {
            head = Substring(String(head[..<open.lowerBound]) + head[head.index(after: close)...])
        }
        if let colon = head.range(of: ": ", options: .backwards) { head = head[colon.upperBound...] }
        if let paren = head.range(of: " (") { head = head[..<paren.lowerBound] }
        if let quote = head.range(of: "\" ", options: .backwards), head.hasPrefix("unknown field") { head = head[quote.upperBound...] }
        let phrase = head.trimmingCharacters(in: .whitespaces)
        return phrase.isEmpty ? nil : phrase
    }

    /// Documents INDEX.tsv calls valid that the peer's own server refuses too: broken snippets
    /// of its docs. They are judged as peer-invalid (they must be refused).
    static let brokenInPeerDocs: [String: String] = [
        "flagger/050-canary-podinfo.yaml":
            "a FAQ snippet about ports: no spec.analysis, which Flagger's CRD requires (required: [targetRef, analysis])",
        "argo/213-rollout-rollout-hpa-example.yaml":
            "`app: demo` is indented beside matchLabels and `blueGreen | canary:` is a placeholder; "
            + "Argo's structural CRD refuses both fields under strict field validation",
        "argo/202-analysistemplate-success-rate.yaml": "args[].value is a string in Argo's CRD; `value: 9090` is an integer",
        "argo/187-analysistemplate-success-rate.yaml":
            "successCondition reads `results[0]`, a name Argo's evaluator never binds (its variable is `result`): "
            + "every measurement of this docs example errors in Argo too",
        "argo/211-analysistemplate-unnamed.yaml":
            "a docs snippet about Secret args: provider.web has no url, which Argo's CRD requires (web: required: [url])",
        "argo/203-clusteranalysistemplate-success-rate.yaml": "args[].value is a string in Argo's CRD; `value: 9090` is an integer",
        "argo/205-analysisrun-guestbook-currentpodhash-multiple-templates.yaml":
            "metadata.name has upper-case letters: every API server refuses it (RFC 1123 subdomain)",
        "argo/191-experiment-unnamed.yaml":
            "a docs snippet of the Experiment a step produces: `name:` at the top level, `spec.analysis` (singular) and "
            + "templates with `spec` instead of `template` and no selector; Argo's structural CRD refuses all of them",
        "argo/208-analysisrun-guestbook-currentpodhash-templates-in-template.yaml":
            "metadata.name has upper-case letters: every API server refuses it (RFC 1123 subdomain)",
    ]

    /// Whether a fragment's error is about a part it leaves out: a field absent, null or `{}`
    /// in the document (`type: # can be prometheus…` is null), or a message saying something
    /// is missing or required.
    static func aboutElidedPart(_ f: Finding, _ object: JSONValue, parts: [String]) -> Bool {
        if covered(f.path, by: parts) { return true }
        switch value(at: f.path, in: object) {
        case nil, .null?: return true
        case .object(let o)? where o.isEmpty: return true
        default: break
        }
        let m = f.message.lowercased()
        return ["missing", "required", "names no ", "needs ", "has no ", "is empty"].contains { m.contains($0) }
    }

    /// The value at `spec.a[0].b`, nil when absent.
    static func value(at path: String, in object: JSONValue) -> JSONValue? {
        var v = object
        for piece in path.split(separator: ".") {
            var name = Substring(piece)
            var indexes: [Int] = []
            while name.hasSuffix("]"), let open = name.lastIndex(of: "[") {
                indexes.insert(Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) ?? -1, at: 0)
                name = name[..<open]
            }
            if !name.isEmpty {
                guard let next = v.objectValue?[String(name)] else { return nil }
                v = next
            }
            for i in indexes {
                guard let a = v.arrayValue, a.indices.contains(i) else { return nil }
                v = a[i]
            }
        }
        return v
    }

    func judge(_ entry: Entry, object: JSONValue, kind: String, lint: [Finding], server: [Finding]?) -> Outcome {
        let refused = !lint.isEmpty || server != nil
        if entry.peerInvalid || Self.brokenInPeerDocs[entry.file] != nil {
            return refused ? .invalid : .failed("peer-invalid, accepted by lint and the server")
        }
        if !refused { return .accepted }
        if let feature = Self.unsupportedFeature(lint, entry, kind: kind) { return .unsupported(feature: feature) }
        let all = lint + (server ?? [])
        let parts = entry.missingParts
        if entry.isFragment, all.allSatisfy({ Self.aboutElidedPart($0, object, parts: parts) }) { return .fragmentGap }
        if all.allSatisfy({ Self.isKnownGap($0.path) || Self.covered($0.path, by: parts) }) {
            return .knownGap
        }
        if lint.isEmpty {
            return .failed("lint accepts it but the server refuses: " + (server ?? []).map { "\($0.path): \($0.message)" }.joined(separator: "; "))
        }
        return .failed(all.map { "\($0.path.isEmpty ? "" : $0.path + ": ")\($0.message)" }.joined(separator: "; "))
    }

    @Test func everyPeerManifestIsAcceptedOrRefusedByName() async throws {
        let entries = try Self.entries()
        #expect(entries.count >= 168, "expected the 168 peer manifests in \(Self.directory.path)")
        let server = try await PeerServer.start()
        do {
            try await run(entries, server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    func run(_ entries: [Entry], _ peer: PeerServer) async throws {
        let scratch = NSTemporaryDirectory() + "serin-peer-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        var accepted = 0, invalid = 0, fragmentGaps = 0
        var unsupported: [String: [String]] = [:]
        var knownGaps: [String] = []
        var failures: [String] = []
        var judged = 0
        for entry in entries {
            let path = Self.directory.appendingPathComponent(entry.file).path
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let docs: [JSONValue]
            do { docs = try JSONValue.documents(yaml: text).filter { !$0.isNull } } catch { docs = [] }
            // Only Serin's kinds (and the originals' groups) are judged; a Deployment or Service
            // beside them in the same file is the peer's setup.
            let objects = docs.filter { d in
                let group = (d["apiVersion"].stringValue ?? "").split(separator: "/").first.map(String.init) ?? ""
                return ["serin.dev", "flagger.app", "argoproj.io"].contains(group)
            }
            if objects.isEmpty {
                let lint = await runCLI(["lint", "-q", path])
                let refused = !Self.lintErrors(lint.output).isEmpty
                judged += 1
                if entry.peerInvalid && refused { invalid += 1 } else {
                    failures.append("\(entry.file): no Serin object read\(refused ? " (lint refuses the file)" : "")")
                }
                continue
            }
            for (i, original) in objects.enumerated() {
                var object = original
                let label = objects.count == 1 ? entry.file : "\(entry.file)#\(i + 1)"
                // A single named document is linted as written; others one by one, as JSON (the
                // same object). A snippet without a name is given one (the name is not what it shows).
                var lintPath = path
                if object["metadata"]["name"].stringValue == nil { object["metadata"]["name"] = "unnamed" }
                if objects.count > 1 || docs.count > 1 || object != original {
                    lintPath = scratch + "/" + label.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: "#", with: "-")
                    try object.serialized().write(toFile: lintPath, atomically: true, encoding: .utf8)
                }
                let kind = object["kind"].stringValue ?? ""
                var args = ["lint", "-q", lintPath]
                if !entry.defaultProvider.isEmpty, kind == "Canary" { args += ["--provider", entry.defaultProvider] }
                let lint = await runCLI(args)
                let lintErrors = Self.lintErrors(lint.output)
                let (status, body) = try await peer.create(object)
                let server = Self.serverErrors(status, body)
                let outcome = judge(entry, object: object, kind: kind, lint: lintErrors, server: server)
                judged += 1
                if ProcessInfo.processInfo.environment["PEER_VERBOSE"] != nil {
                    print("PEER \(label)\t\(outcome)")
                    for f in lintErrors { print("PEER-LINT \(label)\t\(f.path): \(f.message.prefix(200))") }
                    for f in server ?? [] { print("PEER-SERVER \(label)\t\(f.path): \(f.message.prefix(200))") }
                }
                switch outcome {
                case .accepted: accepted += 1
                case .invalid: invalid += 1
                case .fragmentGap: fragmentGaps += 1
                case .knownGap: knownGaps.append(label)
                case .unsupported(let feature): unsupported[feature, default: []].append(label)
                case .failed(let why): failures.append("\(label): \(why)")
                }
            }
        }

        var table = "peer manifests: \(entries.count) files, \(judged) objects judged\n"
        table += "  accepted (lint and server)            \(accepted)\n"
        table += "  refused: unsupported feature          \(unsupported.values.map(\.count).reduce(0, +))\n"
        for (feature, files) in unsupported.sorted(by: { ($1.value.count, $0.key) < ($0.value.count, $1.key) }) {
            table += "      \(feature.padding(toLength: max(34, feature.count), withPad: " ", startingAt: 0)) \(files.count)\n"
        }
        table += "  refused: invalid (peer says so, or broken snippets: brokenInPeerDocs)  \(invalid)\n"
        table += "  fragments refused for missing parts   \(fragmentGaps)\n"
        table += "  known gap (metrics[].threshold)       \(knownGaps.count)\n"
        table += "  failing the rule                      \(failures.count)\n"
        for f in failures { table += "    \(f)\n" }
        print(table)
        #expect(failures.isEmpty, "\(failures.count) peer manifests fail the rule:\n\(failures.joined(separator: "\n"))")
    }
}

/// A test API server with every CRD of crds/ installed and a namespace `peer`, spoken to over
/// HTTP with curl, as kubectl would.
struct PeerServer: Sendable {
    let server: TestAPIServer
    /// kind → (plural, namespaced).
    let kinds: [String: (plural: String, namespaced: Bool)]

    static func start() async throws -> PeerServer {
        var options = TestAPIServer.Options()
        options.simulateWorkloads = false
        options.tls = false
        let server = try await TestAPIServer.start(options)
        var kinds: [String: (plural: String, namespaced: Bool)] = [:]
        let crdDir = repoRoot.appendingPathComponent("crds").path
        for name in try FileManager.default.contentsOfDirectory(atPath: crdDir).sorted() where name.hasSuffix(".yaml") && name != "kustomization.yaml" {
            for crd in try JSONValue.documents(yaml: repoFile("crds/\(name)")) where crd["kind"].stringValue == "CustomResourceDefinition" {
                _ = try await server.api.create(.customResourceDefinitions, namespace: nil, crd)
                let names = crd["spec"]["names"]
                kinds[names["kind"].stringValue ?? ""] = (names["plural"].stringValue ?? "", crd["spec"]["scope"].stringValue != "Cluster")
            }
        }
        _ = try await server.api.create(.namespaces, namespace: nil, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "peer"]])
        let peer = PeerServer(server: server, kinds: kinds)
        for (_, k) in kinds {
            let served = await eventually { (try? await peer.request("GET", "/apis/serin.dev/v1alpha1/\(k.plural)", body: nil).0) == 200 }
            #expect(served, "\(k.plural) not served")
        }
        return peer
    }

    func stop() async { try? await server.stop() }

    /// POSTs the object as `kubectl create --dry-run=server` does (strict field validation).
    func create(_ object: JSONValue) async throws -> (Int, JSONValue) {
        var o = object
        let kind = o["kind"].stringValue ?? ""
        guard let k = kinds[kind] else {
            return (404, ["message": .string("the server could not find the requested resource (kind \(kind) is not served)")])
        }
        let path: String
        if k.namespaced {
            o["metadata"]["namespace"] = "peer"
            path = "/apis/serin.dev/v1alpha1/namespaces/peer/\(k.plural)"
        } else {
            o["metadata"]["namespace"] = .null
            path = "/apis/serin.dev/v1alpha1/\(k.plural)"
        }
        return try await request("POST", path + "?fieldValidation=Strict&dryRun=All", body: o)
    }

    func request(_ method: String, _ path: String, body: JSONValue?) async throws -> (Int, JSONValue) {
        var args = ["-sS", "--max-time", "20", "-o", "-", "-w", "\n%{http_code}", "-X", method,
                    "-H", "Authorization: Bearer \(server.token)", "-H", "Content-Type: application/json"]
        if body != nil { args += ["--data-binary", "@-"] }
        args.append(server.url + path)
        let out = try await runCurl(args, stdin: body?.serialized())
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? 0
        let text = lines.dropLast().joined(separator: "\n")
        return (status, (try? JSONValue(parsing: text)) ?? .null)
    }
}

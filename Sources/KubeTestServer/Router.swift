import KubeCore
import KubeSchema
import NIOHTTP1

/// Maps HTTP requests onto discovery and the store: authentication, faults, paths, verbs,
/// content negotiation (JSON, Table, PartialObjectMetadata).
struct Router: Sendable {
    let core: ServerCore

    /// A parsed resource URL.
    struct Target {
        var resource: ServedResource
        var namespace: String?
        var name: String?
        var subresource: String?
    }

    func handle(_ req: HTTPRequest) async -> HTTPResponse {
        if !core.token.isEmpty {
            let parts = (req.headers.first(name: "Authorization") ?? "").split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer", parts[1].trimmingCharacters(in: .whitespaces) == core.token else {
                return error(APIErrors.unauthorized())
            }
        }
        if let discovery = Discovery(core: core).answer(req) { return discovery }
        if req.method == .POST, req.path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" {
            let body = (try? JSONValue(parsing: String(decoding: req.body, as: UTF8.self))) ?? [:]
            return .json(.created, core.access.review(body).serializedBytes())
        }
        do {
            guard let target = try resolve(req.path) else { return error(APIErrors.pathNotFound(req.path)) }
            let verb = Self.verb(req, target)
            core.audit.record(req, target, verb: verb)
            let attrs = AccessPolicy.Attributes(verb: verb, group: target.resource.type.group, resource: target.resource.type.plural,
                                                namespace: target.namespace, name: target.name)
            guard core.access.allows(attrs) else {
                return error(.forbidden(APIStatus(code: 403, reason: "Forbidden",
                                                  message: "\(target.resource.type.plural) is forbidden: \(verb) denied by the test server's access policy")))
            }
            let decision = core.faults.decide(verb: verb, resource: target.resource.type.plural)
            if let d = decision.delay { try? await Task.sleep(for: d) }
            if let code = decision.failStatus {
                return error(APIErrors.fault(code: code, retryAfter: decision.retryAfterSeconds, resource: target.resource.groupResource, name: target.name))
            }
            return try await serve(req, target, verb: verb)
        } catch let e as KubeAPIError {
            return error(e)
        } catch {
            return self.error(APIErrors.internalError("\(error)"))
        }
    }

    static func verb(_ req: HTTPRequest, _ t: Target) -> String {
        switch req.method {
        case .GET:
            if t.name != nil { return "get" }
            let w = req.query["watch"] ?? ""
            return w == "true" || w == "1" ? "watch" : "list"
        case .POST: return "create"
        case .PUT: return "update"
        case .PATCH: return "patch"
        case .DELETE: return t.name == nil ? "deletecollection" : "delete"
        default: return req.method.rawValue.lowercased()
        }
    }

    /// `/api/v1/...` or `/apis/G/V/...` → resource, namespace, name, subresource.
    func resolve(_ path: String) throws -> Target? {
        var segs = path.split(separator: "/").map { HTTPRequest.percentDecode(String($0)) }
        let group: String
        let version: String
        if segs.first == "api", segs.count >= 3 {
            group = ""
            version = segs[1]
            segs.removeFirst(2)
        } else if segs.first == "apis", segs.count >= 4 {
            group = segs[1]
            version = segs[2]
            segs.removeFirst(3)
        } else {
            return nil
        }
        let store = core.store
        if segs.count >= 3, segs[0] == "namespaces", let r = store.resource(group: group, version: version, plural: segs[2]), r.type.namespaced {
            guard segs.count <= 5 else { return nil }
            return Target(resource: r, namespace: segs[1], name: segs.count > 3 ? segs[3] : nil, subresource: segs.count > 4 ? segs[4] : nil)
        }
        guard let r = store.resource(group: group, version: version, plural: segs[0]), segs.count <= 3 else { return nil }
        if r.type.namespaced, segs.count > 1 { return nil }
        return Target(resource: r, namespace: nil, name: segs.count > 1 ? segs[1] : nil, subresource: segs.count > 2 ? segs[2] : nil)
    }

    func serve(_ req: HTTPRequest, _ t: Target, verb: String) async throws -> HTTPResponse {
        let store = core.store
        let r = t.resource
        let dryRun = req.query["dryRun"] == "All"
        if let sub = t.subresource {
            let ok = (sub == "status" && r.hasStatus) || (sub == "scale" && r.scale != nil)
            guard ok else { throw APIErrors.pathNotFound(req.path) }
            guard [.GET, .PUT, .PATCH].contains(req.method) else { throw APIErrors.methodNotAllowed() }
        }
        let accept = req.headers.first(name: "Accept") ?? ""
        switch verb {
        case "get":
            let obj = try store.get(r, namespace: t.namespace, name: t.name!, subresource: t.subresource)
            if t.subresource == nil, accept.contains("as=Table") {
                return ok(TableConverter.table(r, [obj], includeObject: req.query["includeObject"], listRV: nil))
            }
            if accept.contains("as=PartialObjectMetadata") { return ok(MetadataView.object(obj)) }
            return ok(obj)
        case "list":
            let result = try store.list(r, namespace: t.namespace, options: listOptions(req))
            if accept.contains("as=Table") {
                var table = TableConverter.table(r, result.items.map { StoreState.present($0, as: r) }, includeObject: req.query["includeObject"], listRV: result.resourceVersion)
                if let c = result.continueToken { table["metadata"]["continue"] = .string(c) }
                return ok(table)
            }
            var meta: JSONValue = ["resourceVersion": .string(result.resourceVersion)]
            if let c = result.continueToken { meta["continue"] = .string(c) }
            if let n = result.remainingItemCount { meta["remainingItemCount"] = .int(Int64(n)) }
            if accept.contains("as=PartialObjectMetadataList") {
                return ok(["kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "items": .array(result.items.map { MetadataView.object(StoreState.present($0, as: r)) })])
            }
            return ok(["kind": .string(r.type.kind + "List"), "apiVersion": .string(r.type.apiVersion), "metadata": meta, "items": .array(result.items)])
        case "watch":
            return try WatchResponder.respond(core: core, r, namespace: t.namespace, query: req.query, table: accept.contains("as=Table"))
        case "create":
            guard t.name == nil, t.subresource == nil else { throw APIErrors.methodNotAllowed() }
            let body = try decodeBody(req)
            let directive = try FieldValidation.directive(req.query, options: "CreateOptions")
            let warnings = try directive.check(r, body, duplicates: bodyDuplicates(req, r, directive))
            return try withWarnings(warnings) { ok(try store.create(r, namespace: t.namespace, body, dryRun: dryRun), status: .created) }
        case "update":
            guard let name = t.name else { throw APIErrors.methodNotAllowed() }
            let body = try decodeBody(req)
            let directive = try FieldValidation.directive(req.query, options: "UpdateOptions")
            let warnings = t.subresource == "scale" ? [] : try directive.check(r, body, duplicates: bodyDuplicates(req, r, directive))
            return try withWarnings(warnings) {
                ok(try store.update(r, namespace: t.namespace, name: name, body, subresource: t.subresource, dryRun: dryRun))
            }
        case "patch":
            guard let name = t.name else { throw APIErrors.methodNotAllowed() }
            let contentType = (req.headers.first(name: "Content-Type") ?? "").split(separator: ";").first.map(String.init) ?? ""
            if contentType == "application/apply-patch+yaml" || contentType == "application/apply-patch+cbor" {
                throw APIErrors.unsupportedMediaType(
                    "server-side apply (\(contentType)) is not supported by this test API server; use client-side apply (kubectl apply without --server-side), a merge patch or a JSON patch")
            }
            guard let type = PatchType(rawValue: contentType) else {
                throw APIErrors.unsupportedMediaType(
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
            }
            let patch: JSONValue
            do { patch = try JSONValue(parsing: req.body) } catch { throw APIErrors.badRequest("error decoding patch: \(error)") }
            let directive = try FieldValidation.directive(req.query, options: "PatchOptions")
            let check = PatchFieldCheck(resource: r, directive: t.subresource == "scale" ? .ignore : directive, type: type, body: req.body, patch: patch)
            do {
                let patched = try store.patch(
                    r, namespace: t.namespace, name: name, type: type, patch, subresource: t.subresource, dryRun: dryRun, inspect: check.inspect)
                return try withWarnings(check.warnings) { ok(patched) }
            } catch let e as KubeAPIError {
                return try withWarnings(check.warnings) { throw e }
            }
        case "delete":
            let options = try deleteOptions(req)
            return ok(try store.delete(r, namespace: t.namespace, name: t.name!, options: options, dryRun: dryRun))
        case "deletecollection":
            let items = try store.deleteCollection(r, namespace: t.namespace, options: listOptions(req), deleteOptions: try deleteOptions(req), dryRun: dryRun)
            return ok(["kind": .string(r.type.kind + "List"), "apiVersion": .string(r.type.apiVersion), "metadata": ["resourceVersion": .string(String(store.currentResourceVersion))], "items": .array(items)])
        default:
            throw APIErrors.methodNotAllowed()
        }
    }

    func listOptions(_ req: HTTPRequest) -> ListOptions {
        ListOptions(
            labelSelector: req.query["labelSelector"], fieldSelector: req.query["fieldSelector"],
            limit: req.query["limit"].flatMap { Int($0) }, continueToken: req.query["continue"],
            resourceVersion: req.query["resourceVersion"])
    }

    func decodeBody(_ req: HTTPRequest) throws -> JSONValue {
        let contentType = (req.headers.first(name: "Content-Type") ?? "application/json").split(separator: ";").first.map(String.init) ?? ""
        switch contentType {
        case "application/json", "":
            do { return try JSONValue(parsing: req.body) } catch {
                throw APIErrors.badRequest("the object provided is unrecognized: \(error)")
            }
        case "application/yaml":
            return try YAMLBody.decode(req.body)
        case ProtobufBody.contentType:
            return try ProtobufBody.decode(req.body)
        default:
            throw APIErrors.unsupportedMediaType(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml")
        }
    }

    func deleteOptions(_ req: HTTPRequest) throws -> DeleteOptions {
        var o = DeleteOptions()
        if !req.body.isEmpty {
            guard let body = try? JSONValue(parsing: req.body) else { throw APIErrors.badRequest("invalid DeleteOptions body") }
            o.propagationPolicy = body["propagationPolicy"].stringValue.flatMap(DeleteOptions.PropagationPolicy.init(rawValue:))
            if body["propagationPolicy"].stringValue != nil, o.propagationPolicy == nil {
                throw APIErrors.badRequest("propagationPolicy: Unsupported value: \(body["propagationPolicy"].serialized())")
            }
            if o.propagationPolicy == nil, let orphan = body["orphanDependents"].boolValue { o.propagationPolicy = orphan ? .orphan : .background }
            o.preconditionUID = body["preconditions"]["uid"].stringValue
            o.preconditionResourceVersion = body["preconditions"]["resourceVersion"].stringValue
            o.gracePeriodSeconds = body["gracePeriodSeconds"].intValue
        }
        if let p = req.query["propagationPolicy"] { o.propagationPolicy = DeleteOptions.PropagationPolicy(rawValue: p) }
        return o
    }

    func ok(_ value: JSONValue, status: HTTPResponseStatus = .ok) -> HTTPResponse {
        .json(status, value.serializedBytes())
    }

    func error(_ e: KubeAPIError) -> HTTPResponse {
        let status = e.status ?? APIStatus(code: 500, reason: "InternalError", message: e.description)
        var response = HTTPResponse.json(HTTPResponseStatus(statusCode: status.code), status.json.serializedBytes())
        if let retry = status.retryAfterSeconds ?? { if case .tooManyRequests(_, let r) = e { return r } else { return nil } }() {
            response.headers.add(name: "Retry-After", value: String(retry))
        }
        return response
    }
}

/// PartialObjectMetadata: what `as=PartialObjectMetadata` asks for.
enum MetadataView {
    static func object(_ obj: JSONValue) -> JSONValue {
        ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]]
    }
}

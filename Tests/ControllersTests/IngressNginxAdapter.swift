import Foundation
import KubeCore
import Traffic

/// Test support that stands in for the ingress-nginx controller: it renders Ingresses (the
/// user's and the canary Ingress Serin writes) into an nginx.conf as ingress-nginx routes them,
/// so Debian's real nginx serves the split. For each host and path of a main Ingress, a canary
/// Ingress (`nginx.ingress.kubernetes.io/canary: "true"`) of the same host and path takes
///
/// - requests whose `canary-by-header` is `always` (or equals `canary-by-header-value`, or
///   matches `canary-by-header-pattern`); `never` keeps them on the main backend;
/// - else requests whose `canary-by-cookie` cookie is `always` (`never` keeps them off);
/// - else `canary-weight` out of `canary-weight-total` (100) of the rest, drawn per request
///   (`split_clients` on `$request_id`, as ingress-nginx's balancer draws a random number).
///
/// Services resolve to `endpoints` (name → `127.0.0.1:port`), the stand-in for Endpoints.
enum IngressNginxAdapter {
    struct RenderError: Error, CustomStringConvertible {
        var description: String
    }

    /// One host and path of a main Ingress with its backend, and its canary if any.
    struct Route {
        var host: String?
        var path: String
        var exact: Bool
        var service: String
        var canary: (ingress: JSONValue, service: String)?
    }

    static func routes(_ ingresses: [JSONValue], keys: NginxRouter.Keys) -> [Route] {
        func paths(_ ing: JSONValue) -> [(host: String?, path: String, exact: Bool, service: String)] {
            (ing[path: ["spec", "rules"]].arrayValue ?? []).flatMap { rule in
                (rule[path: ["http", "paths"]].arrayValue ?? []).compactMap { p in
                    guard let svc = p[path: ["backend", "service", "name"]].stringValue else { return nil }
                    return (rule["host"].stringValue, p["path"].stringValue ?? "/", p["pathType"].stringValue == "Exact", svc)
                }
            }
        }
        let isCanary = { (ing: JSONValue) in ing.annotations[keys.canary] == "true" }
        var out: [Route] = []
        for main in ingresses where !isCanary(main) {
            for p in paths(main) {
                var route = Route(host: p.host, path: p.path, exact: p.exact, service: p.service)
                for c in ingresses where isCanary(c) {
                    if let cp = paths(c).first(where: { $0.host == p.host && $0.path == p.path }) {
                        route.canary = (c, cp.service)
                    }
                }
                out.append(route)
            }
        }
        return out
    }

    static func upstream(_ service: String) -> String { "svc_" + service.replacingOccurrences(of: "-", with: "_") }

    static func header(_ name: String) -> String { "$http_" + name.lowercased().replacingOccurrences(of: "-", with: "_") }

    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The nginx.conf (http block and all) for `ingresses`, listening on the unix socket `listen`.
    static func render(_ ingresses: [JSONValue], endpoints: [String: String], listen: String,
                       keys: NginxRouter.Keys = NginxRouter.Keys()) throws(RenderError) -> String {
        let routes = routes(ingresses, keys: keys)
        var services: [String] = []
        for r in routes {
            for s in [r.service] + (r.canary.map { [$0.service] } ?? []) where !services.contains(s) { services.append(s) }
        }
        var http: [String] = []
        for s in services {
            guard let address = endpoints[s] else { throw RenderError(description: "no endpoints for Service \(s)") }
            http.append("upstream \(upstream(s)) { server \(address); }")
        }
        var servers: [String: [String]] = [:]
        for (i, r) in routes.enumerated() {
            let stable = upstream(r.service)
            var target = stable
            if let (ing, service) = r.canary {
                let a = ing.annotations
                let canary = upstream(service)
                let total = Double(Int(a[keys.weightTotal] ?? "") ?? 100)
                let weight = Double(Int(a[keys.weight] ?? "") ?? 0)
                let percent = min(100, max(0, weight * 100 / max(total, 1)))
                var lines = ["split_clients \"${request_id}\" $byweight_\(i) {"]
                if percent >= 100 {
                    lines.append("    * \(canary);")
                } else {
                    if percent > 0 { lines.append("    \(String(format: "%.2f", percent))% \(canary);") }
                    lines.append("    * \(stable);")
                }
                lines.append("}")
                http += lines
                var fallback = "$byweight_\(i)"
                if let cookie = a[keys.byCookie] {
                    http.append("map $cookie_\(cookie) $bycookie_\(i) { always \(canary); never \(stable); default \(fallback); }")
                    fallback = "$bycookie_\(i)"
                }
                if let name = a[keys.byHeader] {
                    let cases: String
                    if let v = a[keys.byHeaderValue] {
                        cases = "\(quoted(v)) \(canary);"
                    } else if let pattern = a[keys.byHeaderPattern] {
                        cases = "\(quoted("~" + pattern)) \(canary);"
                    } else {
                        cases = "always \(canary); never \(stable);"
                    }
                    http.append("map \(header(name)) $byheader_\(i) { \(cases) default \(fallback); }")
                    fallback = "$byheader_\(i)"
                }
                target = fallback
            }
            let location = r.exact ? "location = \(r.path)" : "location \(r.path)"
            servers[r.host ?? "_", default: []].append("        \(location) { proxy_pass http://\(target); }")
        }
        for host in servers.keys.sorted() {
            let name = host == "_" ? "_" : host
            http.append("server {\n    listen unix:\(listen)\(host == "_" ? " default_server" : "");\n    server_name \(name);\n"
                + servers[host, default: []].joined(separator: "\n") + "\n}")
        }
        return """
            # Rendered by the test's IngressNginxAdapter (standing in for ingress-nginx).
            worker_processes 1;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path tmp/body;
                proxy_temp_path tmp/proxy;
                fastcgi_temp_path tmp/fastcgi;
                uwsgi_temp_path tmp/uwsgi;
                scgi_temp_path tmp/scgi;
            \(http.map { $0.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") }.joined(separator: "\n"))
            }

            """
    }
}

/// Debian's nginx run in the foreground on a config in its own directory.
final class NginxProcess: Sendable {
    static let binary = "/usr/sbin/nginx"
    let directory: URL
    let socket: String
    private let process: Process

    private init(directory: URL, socket: String, process: Process) {
        self.directory = directory
        self.socket = socket
        self.process = process
    }

    static var available: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    /// Writes `config` (rendered for `socket`) and starts nginx; returns once the socket answers.
    static func start(config: String, directory: URL, socket: String) async throws -> NginxProcess {
        let fm = FileManager.default
        try fm.createDirectory(at: directory.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        try fm.createDirectory(at: directory.appendingPathComponent("logs"), withIntermediateDirectories: true)
        try? fm.removeItem(atPath: socket)
        let conf = directory.appendingPathComponent("nginx.conf")
        try config.write(to: conf, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["-p", directory.path + "/", "-c", conf.path,
                       "-g", "daemon off; pid \(directory.path)/nginx.pid; error_log \(directory.path)/logs/error.log;"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let started = NginxProcess(directory: directory, socket: socket, process: p)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if !p.isRunning { break }
            if fm.fileExists(atPath: socket) { return started }
            try await Task.sleep(for: .milliseconds(50))
        }
        started.stop()
        let log = (try? String(contentsOf: directory.appendingPathComponent("logs/error.log"), encoding: .utf8)) ?? ""
        throw IngressNginxAdapter.RenderError(description: "nginx did not start: \(log)")
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

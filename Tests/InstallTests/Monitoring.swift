import Foundation
import KubeCore
import Testing

/// The optional monitoring files: the PrometheusRule's alerts and the Grafana dashboard's queries.
enum Monitoring {
    static func prometheusRule() throws -> JSONValue {
        try #require(Repository.documents("manifests/monitoring/prometheusrule.yaml").first)
    }

    static func dashboard() throws -> JSONValue {
        try JSONValue(parsing: Repository.text("manifests/monitoring/grafana-dashboard.json"))
    }

    /// Alert name → expression.
    static func alerts() throws -> [(name: String, expr: String)] {
        try (prometheusRule()[path: ["spec", "groups"]].arrayValue ?? []).flatMap { g in
            (g["rules"].arrayValue ?? []).compactMap { r in
                guard let name = r["alert"].stringValue, let expr = r["expr"].stringValue else { return nil }
                return (name, expr)
            }
        }
    }

    /// Every panel with queries, rows' nested panels included.
    static func panels() throws -> [JSONValue] {
        func flatten(_ list: [JSONValue]) -> [JSONValue] {
            list.flatMap { p in [p] + flatten(p["panels"].arrayValue ?? []) }
        }
        return flatten(try dashboard()["panels"].arrayValue ?? [])
    }

    /// "panel title [refId]" → expression, as written (with Grafana variables).
    static func panelQueries() throws -> [(name: String, expr: String)] {
        try panels().flatMap { p in
            (p["targets"].arrayValue ?? []).compactMap { t in
                guard let expr = t["expr"].stringValue else { return nil }
                return ("\(p["title"].stringValue ?? "?") [\(t["refId"].stringValue ?? "?")]", expr)
            }
        }
    }

    /// Grafana's variables as Grafana would expand them for "All" over a short range.
    static func expand(_ expr: String) -> String {
        expr.replacingOccurrences(of: "$namespace", with: ".*").replacingOccurrences(of: "$canary", with: ".*")
            .replacingOccurrences(of: "$__rate_interval", with: "1m").replacingOccurrences(of: "$__range", with: "5m")
            .replacingOccurrences(of: "$__interval", with: "15s")
    }

    /// Every alert ("alert NAME") and panel query ("panel TITLE [ref]"), ready for Prometheus.
    static func expressions() throws -> [(String, String)] {
        try alerts().map { ("alert \($0.name)", $0.expr) } + panelQueries().map { ("panel \($0.name)", expand($0.expr)) }
    }

    /// `serin_…` names an expression uses.
    static func metricNames(_ expr: String) -> Set<String> {
        var names: Set<String> = []
        var rest = Substring(expr)
        while let r = rest.range(of: "serin_") {
            let tail = rest[r.lowerBound...]
            let name = tail.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            names.insert(String(name))
            rest = tail.dropFirst(name.count)
        }
        return names
    }

    /// Series names in a Prometheus text exposition (`name{…} v` and `name v` lines).
    static func exportedNames(_ exposition: String) -> Set<String> {
        var names: Set<String> = []
        for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
            names.insert(String(line.prefix { $0 != "{" && $0 != " " }))
        }
        return names
    }
}

import KubeCore
import Analysis
import SerinAPI

/// Everything `serin operator` can be told, from flags or `SERIN_*` environment variables.
public struct OperatorOptions: Sendable, Hashable {
    public var kubeconfig: String?
    public var context: String?
    /// Empty means all namespaces.
    public var namespaces: [String] = []
    public var leaderElect = true
    public var leaseName = "serin-operator"
    /// Nil: the pod's own namespace in-cluster, else `serin-system`.
    public var leaseNamespace: String?
    public var leaseDurationSeconds = 15.0
    public var renewDeadlineSeconds = 10.0
    public var retryPeriodSeconds = 2.0
    public var workers = 4
    /// Canary releases that may run at once, cluster-wide and per namespace; nil: no limit.
    public var maxConcurrentReleases: Int?
    public var maxConcurrentReleasesPerNamespace: Int?
    public var qps = 20.0
    public var burst = 30
    public var metricsAddress = ":8080"
    public var healthAddress = ":8081"
    public var logLevel = "info"
    public var logFormat = "json"
    /// Default router when a Canary names none: istio, as Flagger's `-mesh-provider`
    /// default, so a Flagger manifest without `spec.provider` means the same here.
    public var provider = "istio"
    /// Builtin query family for every Canary (istio, linkerd, nginx, gatewayapi, kubernetes, osm);
    /// nil uses the Canary's router. `kubernetes` reads application-exported
    /// `http_requests_total` / `http_request_duration_seconds`.
    public var metricsProvider: String?
    /// Label names of the builtin queries per provider, e.g. `kubernetes:status=status_code,service=app`.
    public var builtinMetricLabels = ""
    /// Default Prometheus address for builtin metrics.
    public var metricsServer = "http://prometheus.monitoring:9090"
    /// Deadline for in-flight reconciles on SIGTERM.
    public var shutdownGraceSeconds = 20.0
    /// This process's identity in the Lease (pod name in-cluster).
    public var identity: String?
    /// Sharding: this instance handles only Serin objects labelled
    /// `serin.dev/controller-instance-id: <id>` (nil: only those without the label), as Argo
    /// Rollouts' `--instance-id`; each instance elects its own leader.
    public var instanceID: String?
    /// Only Serin objects matching this label selector are handled (beside the instance id).
    public var labelSelector: String?
    /// Whether `--lease-name` was given (an instance id otherwise names its own Lease).
    public var leaseNameGiven = false

    public init() {}

    /// The label that assigns an object to an operator instance.
    public static let instanceLabel = RolloutLabels.controllerInstance

    /// The selector every informer of Serin's own kinds lists with.
    public var ownSelector: String {
        let instance = instanceID.map { "\(Self.instanceLabel)=\($0)" } ?? "!\(Self.instanceLabel)"
        return [instance, labelSelector].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ",")
    }

    /// The Lease this instance elects its leader with.
    public var effectiveLeaseName: String {
        guard let id = instanceID, !leaseNameGiven else { return leaseName }
        return "\(leaseName)-\(id)"
    }

    /// Splits `host:port` (`:8080` means all interfaces).
    public static func hostPort(_ address: String) throws -> (host: String, port: Int) {
        guard let idx = address.lastIndex(of: ":"), let port = Int(address[address.index(after: idx)...]),
            (0...65535).contains(port)
        else {
            throw OptionsError(field: "address", value: address, fix: "use HOST:PORT, e.g. :8080 or 127.0.0.1:8080")
        }
        var host = String(address[..<idx])
        if host.isEmpty { host = "0.0.0.0" }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    /// Problems a person can fix, each naming the flag.
    public func validate() -> [OptionsError] {
        var errs: [OptionsError] = []
        if let id = instanceID, !KubeNames.labelValueErrors(id).isEmpty || id.isEmpty {
            errs.append(.init(field: "--instance-id", value: id, fix: "use a label value: up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"))
        }
        if let sel = labelSelector, (try? LabelSelector(parsing: sel)) == nil {
            errs.append(.init(field: "--label-selector", value: sel, fix: "use a label selector, e.g. team=payments,tier!=batch"))
        }
        if workers < 1 { errs.append(.init(field: "--workers", value: "\(workers)", fix: "use 1 or more")) }
        for (flag, v) in [("--max-concurrent-releases", maxConcurrentReleases),
                          ("--max-concurrent-releases-per-namespace", maxConcurrentReleasesPerNamespace)] {
            if let v, v < 1 { errs.append(.init(field: flag, value: "\(v)", fix: "use 1 or more, or leave it out for no limit")) }
        }
        if qps <= 0 { errs.append(.init(field: "--kube-api-qps", value: "\(qps)", fix: "use a positive rate")) }
        if burst < 1 { errs.append(.init(field: "--kube-api-burst", value: "\(burst)", fix: "use 1 or more")) }
        if renewDeadlineSeconds >= leaseDurationSeconds {
            errs.append(.init(field: "--renew-deadline", value: "\(renewDeadlineSeconds)",
                              fix: "must be shorter than --lease-duration (\(leaseDurationSeconds))"))
        }
        if retryPeriodSeconds >= renewDeadlineSeconds {
            errs.append(.init(field: "--retry-period", value: "\(retryPeriodSeconds)",
                              fix: "must be shorter than --renew-deadline (\(renewDeadlineSeconds))"))
        }
        if !["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) {
            errs.append(.init(field: "--log-level", value: logLevel, fix: "use one of debug, info, warning, error"))
        }
        if !["json", "text"].contains(logFormat) {
            errs.append(.init(field: "--log-format", value: logFormat, fix: "use json or text"))
        }
        if let p = metricsProvider, MeshProvider(rawValue: p) == nil, MeshProvider(flaggerName: p) == nil {
            errs.append(.init(field: "--metrics-provider", value: p,
                              fix: "use one of \(MeshProvider.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        do { _ = try BuiltinQueryOptions.parseFlag(builtinMetricLabels) } catch {
            errs.append(.init(field: "--builtin-metric-labels", value: builtinMetricLabels,
                              fix: "\(error); e.g. kubernetes:status=status_code,service=app"))
        }
        for (flag, addr) in [("--metrics-address", metricsAddress), ("--health-address", healthAddress)] {
            if (try? Self.hostPort(addr)) == nil { errs.append(.init(field: flag, value: addr, fix: "use HOST:PORT, e.g. :8080")) }
        }
        return errs
    }
}

public struct OptionsError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var value: String
    public var fix: String
    public var description: String { "\(field)=\(value): \(fix)" }
}

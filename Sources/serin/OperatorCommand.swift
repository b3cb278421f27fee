import ArgumentParser
import Foundation
import SerinOperator

/// `serin operator`: runs the controllers. Every flag can also come from `SERIN_<FLAG>`
/// (e.g. `SERIN_LOG_LEVEL=debug`), the flag winning when both are set.
struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator",
        abstract: "Run the Serin operator (Canary, Rollout and AnalysisRun controllers)."
    )

    @Option(help: "Path to a kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config).") var kubeconfig: String?
    @Option(help: "kubeconfig context to use.") var context: String?
    @Option(name: .customLong("namespace"), help: "Namespace to watch (repeatable; default all).") var namespaces: [String] = []
    @Option(help: "Elect a leader through a Lease (true|false).") var leaderElect: Bool?
    @Option(help: "Name of the leader-election Lease.") var leaseName: String?
    @Option(help: "Namespace of the Lease (default: the pod's namespace, else serin-system).") var leaseNamespace: String?
    @Option(help: "Lease duration in seconds.") var leaseDuration: Double?
    @Option(help: "Renew deadline in seconds.") var renewDeadline: Double?
    @Option(help: "Retry period in seconds.") var retryPeriod: Double?
    @Option(help: "Concurrent reconciles per controller.") var workers: Int?
    @Option(help: "Canary releases that may run at once in the cluster; later ones queue in order (default: no limit).")
    var maxConcurrentReleases: Int?
    @Option(help: "Canary releases that may run at once in one namespace (default: no limit).")
    var maxConcurrentReleasesPerNamespace: Int?
    @Option(help: "Client-side API request rate.") var kubeApiQps: Double?
    @Option(help: "Client-side API burst.") var kubeApiBurst: Int?
    @Option(help: "Address of /metrics (HOST:PORT).") var metricsAddress: String?
    @Option(help: "Address of /healthz and /readyz (HOST:PORT).") var healthAddress: String?
    @Option(help: "trace, debug, info, warning, error.") var logLevel: String?
    @Option(help: "json or text.") var logFormat: String?
    @Option(help: "Default router when a Canary names none: istio (as Flagger), gatewayapi or kubernetes.") var provider: String?
    @Option(help: "Default Prometheus address for builtin metrics.") var metricsServer: String?
    @Option(help: "Builtin query family for every Canary (istio, linkerd, nginx, gatewayapi, kubernetes, osm); default: the Canary's router.")
    var metricsProvider: String?
    @Option(help: "Label names of builtin queries, e.g. kubernetes:status=status_code,service=app;istio:namespace=destination_workload_namespace")
    var builtinMetricLabels: String?
    @Option(help: "Seconds to let in-flight reconciles finish on SIGTERM.") var shutdownGrace: Double?
    @Option(help: "Handle only Serin objects labelled serin.dev/controller-instance-id=ID (default: only those without the label); the Lease becomes <lease-name>-ID.")
    var instanceId: String?
    @Option(help: "Handle only Serin objects matching this label selector, e.g. team=payments.") var labelSelector: String?
    @Option(help: "Identity in the Lease (default: $POD_NAME, else hostname_pid).") var identity: String?

    func options() throws -> OperatorOptions {
        let env = ProcessInfo.processInfo.environment
        func pick<T>(_ flag: T?, _ name: String, _ parse: (String) -> T?) -> T? {
            if let flag { return flag }
            if let raw = env["SERIN_" + name] { return parse(raw) }
            return nil
        }
        var o = OperatorOptions()
        o.kubeconfig = pick(kubeconfig, "KUBECONFIG") { $0 }
        o.context = pick(context, "CONTEXT") { $0 }
        o.namespaces = namespaces.isEmpty
            ? (env["SERIN_NAMESPACES"]?.split(separator: ",").map(String.init) ?? []) : namespaces
        o.leaderElect = pick(leaderElect, "LEADER_ELECT") { Bool($0) } ?? o.leaderElect
        o.leaseName = pick(leaseName, "LEASE_NAME") { $0 } ?? o.leaseName
        o.leaseNameGiven = pick(leaseName, "LEASE_NAME") { $0 } != nil
        o.instanceID = pick(instanceId, "INSTANCE_ID") { $0 }
        o.labelSelector = pick(labelSelector, "LABEL_SELECTOR") { $0 }
        o.leaseNamespace = pick(leaseNamespace, "LEASE_NAMESPACE") { $0 }
        o.leaseDurationSeconds = pick(leaseDuration, "LEASE_DURATION") { Double($0) } ?? o.leaseDurationSeconds
        o.renewDeadlineSeconds = pick(renewDeadline, "RENEW_DEADLINE") { Double($0) } ?? o.renewDeadlineSeconds
        o.retryPeriodSeconds = pick(retryPeriod, "RETRY_PERIOD") { Double($0) } ?? o.retryPeriodSeconds
        o.workers = pick(workers, "WORKERS") { Int($0) } ?? o.workers
        o.maxConcurrentReleases = pick(maxConcurrentReleases, "MAX_CONCURRENT_RELEASES") { Int($0) }
        o.maxConcurrentReleasesPerNamespace = pick(maxConcurrentReleasesPerNamespace, "MAX_CONCURRENT_RELEASES_PER_NAMESPACE") { Int($0) }
        o.qps = pick(kubeApiQps, "KUBE_API_QPS") { Double($0) } ?? o.qps
        o.burst = pick(kubeApiBurst, "KUBE_API_BURST") { Int($0) } ?? o.burst
        o.metricsAddress = pick(metricsAddress, "METRICS_ADDRESS") { $0 } ?? o.metricsAddress
        o.healthAddress = pick(healthAddress, "HEALTH_ADDRESS") { $0 } ?? o.healthAddress
        o.logLevel = pick(logLevel, "LOG_LEVEL") { $0 } ?? o.logLevel
        o.logFormat = pick(logFormat, "LOG_FORMAT") { $0 } ?? o.logFormat
        o.provider = pick(provider, "PROVIDER") { $0 } ?? o.provider
        o.metricsServer = pick(metricsServer, "METRICS_SERVER") { $0 } ?? o.metricsServer
        o.metricsProvider = pick(metricsProvider, "METRICS_PROVIDER") { $0 }
        o.builtinMetricLabels = pick(builtinMetricLabels, "BUILTIN_METRIC_LABELS") { $0 } ?? o.builtinMetricLabels
        o.shutdownGraceSeconds = pick(shutdownGrace, "SHUTDOWN_GRACE") { Double($0) } ?? o.shutdownGraceSeconds
        o.identity = pick(identity, "IDENTITY") { $0 } ?? env["POD_NAME"]
        let problems = o.validate()
        if !problems.isEmpty {
            throw ValidationError(problems.map(\.description).joined(separator: "\n"))
        }
        return o
    }
}

import KubeCore

/// Serin's own kinds (group serin.dev, version v1alpha1) and the router kinds it writes, so
/// controllers and tests name them one way.
extension ResourceType {
    public static let canaries = ResourceType(group: "serin.dev", version: "v1alpha1", plural: "canaries", kind: "Canary")
    public static let metricTemplates = ResourceType(
        group: "serin.dev", version: "v1alpha1", plural: "metrictemplates", kind: "MetricTemplate")
    public static let analysisTemplates = ResourceType(
        group: "serin.dev", version: "v1alpha1", plural: "analysistemplates", kind: "AnalysisTemplate")
    public static let clusterAnalysisTemplates = ResourceType(
        group: "serin.dev", version: "v1alpha1", plural: "clusteranalysistemplates", kind: "ClusterAnalysisTemplate",
        namespaced: false)
    public static let analysisRuns = ResourceType(
        group: "serin.dev", version: "v1alpha1", plural: "analysisruns", kind: "AnalysisRun")
    public static let rollouts = ResourceType(group: "serin.dev", version: "v1alpha1", plural: "rollouts", kind: "Rollout")
    public static let alertProviders = ResourceType(
        group: "serin.dev", version: "v1alpha1", plural: "alertproviders", kind: "AlertProvider")

    // Router kinds (not Serin's to install: the mesh or gateway brings their CRDs).
    public static let httpRoutes = ResourceType(
        group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", kind: "HTTPRoute")
    public static let virtualServices = ResourceType(
        group: "networking.istio.io", version: "v1beta1", plural: "virtualservices", kind: "VirtualService")
    public static let destinationRules = ResourceType(
        group: "networking.istio.io", version: "v1beta1", plural: "destinationrules", kind: "DestinationRule")
    public static let httpProxies = ResourceType(
        group: "projectcontour.io", version: "v1", plural: "httpproxies", kind: "HTTPProxy")
    /// Kuma's TrafficRoute is cluster-scoped.
    public static let kumaTrafficRoutes = ResourceType(
        group: "kuma.io", version: "v1alpha1", plural: "trafficroutes", kind: "TrafficRoute", namespaced: false)
    /// Gloo Edge: the RouteTable a VirtualService delegates to, and the Upstreams it routes to.
    public static let glooRouteTables = ResourceType(
        group: "gateway.solo.io", version: "v1", plural: "routetables", kind: "RouteTable")
    public static let glooUpstreams = ResourceType(
        group: "gloo.solo.io", version: "v1", plural: "upstreams", kind: "Upstream")
    public static let apisixRoutes = ResourceType(
        group: "apisix.apache.org", version: "v2", plural: "apisixroutes", kind: "ApisixRoute")
    /// Emissary-ingress's Mapping at v2, Argo's default (`getambassador.io/v2`) and the CRD's storage version.
    public static let ambassadorMappings = ResourceType(
        group: "getambassador.io", version: "v2", plural: "mappings", kind: "Mapping")
    public static let traefikServices = ResourceType(
        group: "traefik.io", version: "v1alpha1", plural: "traefikservices", kind: "TraefikService")
    /// SMI TrafficSplit, one type per version Flagger and Argo write (the CRDs convert with `None`).
    public static let trafficSplitsV1alpha1 = ResourceType(
        group: "split.smi-spec.io", version: "v1alpha1", plural: "trafficsplits", kind: "TrafficSplit")
    public static let trafficSplitsV1alpha2 = ResourceType(
        group: "split.smi-spec.io", version: "v1alpha2", plural: "trafficsplits", kind: "TrafficSplit")
    public static let trafficSplitsV1alpha3 = ResourceType(
        group: "split.smi-spec.io", version: "v1alpha3", plural: "trafficsplits", kind: "TrafficSplit")
    /// Knative Serving's Service (Flagger's `provider: knative` target and routing object).
    public static let knativeServices = ResourceType(
        group: "serving.knative.dev", version: "v1", plural: "services", kind: "Service")
}

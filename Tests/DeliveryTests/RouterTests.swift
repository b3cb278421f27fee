import Foundation
import Testing
import KubeCore
import SerinAPI
import Traffic
import Workloads

@Suite struct RouterBuilderTests {
    func seed() throws -> (CanarySpec, CanaryNames) {
        let c = try seedCanary()
        return (c.spec, CanaryNames(canaryName: c.name, namespace: c.namespace, spec: c.spec))
    }

    @Test func seedCanaryBecomesAnIstioVirtualService() throws {
        let (spec, names) = try seed()
        let vs = IstioRouter.virtualService(spec: spec, names: names, weights: RouteWeights(primary: 95, canary: 5))
        #expect(vs["apiVersion"] == "networking.istio.io/v1beta1")
        #expect(vs["kind"] == "VirtualService")
        #expect(vs.name == "user-service")
        #expect(vs.namespace == "microservices")
        #expect(vs[path: ["spec", "hosts"]] == ["api.mycompany.com", "user-service"])
        #expect(vs[path: ["spec", "gateways"]] == ["public-gateway.istio-system.svc.cluster.local"])
        let http = try #require(vs[path: ["spec", "http"]].arrayValue)
        #expect(http.count == 1)
        #expect(http[0]["route"] == [
            ["destination": ["host": "user-service-primary", "port": ["number": 80]], "weight": 95],
            ["destination": ["host": "user-service-canary", "port": ["number": 80]], "weight": 5],
        ])
        #expect(IstioRouter.readWeights(virtualService: vs, names: names) == RouteWeights(primary: 95, canary: 5))

        let dr = IstioRouter.destinationRule(.canary, spec: spec, names: names)
        #expect(dr.name == "user-service-canary")
        #expect(dr[path: ["spec", "host"]] == "user-service-canary")
        #expect(dr[path: ["spec", "trafficPolicy", "tls", "mode"]] == "DISABLE")
        let objs = IstioRouter().routingObjects(spec: spec, names: names, selector: SelectorLabel(key: "app", value: "user-service"),
                                                weights: .primaryOnly)
        #expect(objs.map(TrafficRouters.key) == ["VirtualService/user-service", "DestinationRule/user-service-primary",
                                             "DestinationRule/user-service-canary"])
    }

    @Test func virtualServiceKeepsWhatItDoesNotOwn() throws {
        var (spec, names) = try seed()
        spec.service.retries = ["attempts": 3, "perTryTimeout": "1s"]
        spec.service.timeout = "30s"
        spec.service.corsPolicy = ["allowOrigins": [["exact": "https://example.com"]]]
        spec.service.headers = ["request": ["set": ["x-env": "prod"]]]
        spec.service.rewrite = ["uri": "/"]
        spec.service.match = [["uri": ["prefix": "/api"]]]
        let existing: JSONValue = [
            "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
            "metadata": ["name": "user-service", "namespace": "microservices", "resourceVersion": "42",
                         "labels": ["team": "users"]],
            "spec": ["exportTo": ["."], "tcp": [["route": [["destination": ["host": "db"]]]]], "hosts": ["old"]],
        ]
        let vs = IstioRouter.virtualService(spec: spec, names: names, weights: RouteWeights(primary: 60, canary: 40, mirror: 25),
                                            existing: existing)
        #expect(vs.resourceVersion == "42")
        #expect(vs.labels["team"] == "users")
        #expect(vs[path: ["spec", "exportTo"]] == ["."])
        #expect(vs[path: ["spec", "tcp"]] == existing[path: ["spec", "tcp"]])
        let route = vs[path: ["spec", "http"]][0]
        #expect(route["retries"] == ["attempts": 3, "perTryTimeout": "1s"])
        #expect(route["timeout"] == "30s")
        #expect(route["corsPolicy"] == spec.service.corsPolicy)
        #expect(route["headers"] == spec.service.headers)
        #expect(route["rewrite"] == ["uri": "/"])
        #expect(route["match"] == [["uri": ["prefix": "/api"]]])
        #expect(route["mirror"] == ["host": "user-service-canary", "port": ["number": 80]])
        #expect(route["mirrorPercentage"] == ["value": 25])
        #expect(IstioRouter.readWeights(virtualService: vs, names: names) == RouteWeights(primary: 60, canary: 40, mirror: 25))
    }

    @Test func istioABRoutesMatchingRequestsToTheCanary() throws {
        var (spec, names) = try seed()
        spec.analysis?.iterations = 10
        spec.analysis?.match = [["headers": ["x-canary": ["exact": "insider"]]], ["headers": ["cookie": ["regex": "^(.*?;)?(canary=always)(;.*)?$"]]]]
        let vs = IstioRouter.virtualService(spec: spec, names: names, weights: RouteWeights(primary: 100, canary: 0, abMatch: true))
        let http = try #require(vs[path: ["spec", "http"]].arrayValue)
        #expect(http.count == 2)
        #expect(http[0]["match"] == spec.analysis?.match)
        #expect(http[0]["route"][1]["weight"] == 100)
        #expect(http[1]["route"][0]["weight"] == 100)
        #expect(IstioRouter.readWeights(virtualService: vs, names: names) == RouteWeights(primary: 100, canary: 0, abMatch: true))
    }

    func gatewaySpec() -> (CanarySpec, CanaryNames) {
        let spec = CanarySpec(provider: "gatewayapi", targetRef: CrossNamespaceRef(name: "podinfo"),
                              service: CanaryService(port: 9898, gatewayRefs: [GatewayRef(name: "public", namespace: "gateways")],
                                                     hosts: ["app.example.com"]),
                              analysis: CanaryAnalysis(stepWeight: 10))
        return (spec, CanaryNames(canaryName: "podinfo", namespace: "test", spec: spec))
    }

    @Test func httpRouteKeepsTheUsersExtraRule() throws {
        let (spec, names) = gatewaySpec()
        let userRule: JSONValue = [
            "matches": [["path": ["type": "PathPrefix", "value": "/legacy"]]],
            "backendRefs": [["name": "legacy-app", "port": 80]],
        ]
        let headerFilter: JSONValue = ["type": "RequestHeaderModifier", "requestHeaderModifier": ["add": [["name": "x-via", "value": "gw"]]]]
        let existing: JSONValue = [
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": ["name": "podinfo", "namespace": "test", "resourceVersion": "7", "annotations": ["owner": "web-team"]],
            "spec": [
                "parentRefs": [["name": "old"]],
                "rules": [
                    userRule,
                    ["backendRefs": [["name": "podinfo-primary", "port": 9898, "weight": 100], ["name": "podinfo-canary", "port": 9898, "weight": 0]],
                     "filters": [headerFilter]],
                ],
            ],
        ]
        let route = GatewayAPIRouter.httpRoute(spec: spec, names: names, weights: RouteWeights(primary: 70, canary: 30, mirror: 10),
                                               existing: existing)
        #expect(route["apiVersion"] == "gateway.networking.k8s.io/v1")
        #expect(route.resourceVersion == "7")
        #expect(route.annotations["owner"] == "web-team")
        #expect(route[path: ["spec", "parentRefs"]] == [["name": "public", "namespace": "gateways"]])
        #expect(route[path: ["spec", "hostnames"]] == ["app.example.com"])
        let rules = try #require(route[path: ["spec", "rules"]].arrayValue)
        #expect(rules.count == 2)
        #expect(rules[0] == userRule)
        #expect(rules[1]["backendRefs"] == [
            ["group": "", "kind": "Service", "name": "podinfo-primary", "port": 9898, "weight": 70],
            ["group": "", "kind": "Service", "name": "podinfo-canary", "port": 9898, "weight": 30],
        ])
        let filters = try #require(rules[1]["filters"].arrayValue)
        #expect(filters.first == headerFilter)
        #expect(filters.last?["type"] == "RequestMirror")
        #expect(filters.last?[path: ["requestMirror", "backendRef", "name"]] == "podinfo-canary")
        #expect(filters.last?[path: ["requestMirror", "percent"]] == 10)
        #expect(GatewayAPIRouter.readWeights(httpRoute: route, names: names) == RouteWeights(primary: 70, canary: 30, mirror: 10))

        // Back to the primary: the mirror goes, the user's filter and rule stay.
        let back = GatewayAPIRouter.httpRoute(spec: spec, names: names, weights: .primaryOnly, existing: route)
        #expect(back[path: ["spec", "rules"]][0] == userRule)
        #expect(back[path: ["spec", "rules"]][1]["filters"] == [headerFilter])
        #expect(GatewayAPIRouter.readWeights(httpRoute: back, names: names) == .primaryOnly)
    }

    @Test func httpRouteABMatchesAreConvertedFromFlaggersForm() throws {
        var (spec, names) = gatewaySpec()
        spec.analysis = CanaryAnalysis(iterations: 5, match: [["headers": ["x-canary": ["exact": "insider"]], "uri": ["prefix": "/api"]]])
        let route = GatewayAPIRouter.httpRoute(spec: spec, names: names, weights: RouteWeights(primary: 100, canary: 0, abMatch: true))
        let rules = try #require(route[path: ["spec", "rules"]].arrayValue)
        #expect(rules.count == 2)
        #expect(rules[0]["matches"] == [[
            "headers": [["name": "x-canary", "type": "Exact", "value": "insider"]],
            "path": ["type": "PathPrefix", "value": "/api"],
        ]])
        #expect(rules[0]["backendRefs"][1]["weight"] == 100)
        #expect(rules[1]["backendRefs"][0]["weight"] == 100)
        #expect(GatewayAPIRouter.readWeights(httpRoute: route, names: names) == RouteWeights(primary: 100, canary: 0, abMatch: true))
        // Already in Gateway API form: kept as written.
        let native: JSONValue = ["headers": [["name": "x-canary", "value": "1"]]]
        #expect(GatewayAPIRouter.httpRouteMatch(native) == native)
    }

    @Test func kubernetesRouterSwitchesTheApexSelector() {
        let spec = CanarySpec(provider: "kubernetes", targetRef: CrossNamespaceRef(name: "podinfo"),
                              service: CanaryService(port: 80, targetPort: .string("http")), analysis: CanaryAnalysis(iterations: 3))
        let names = CanaryNames(canaryName: "podinfo", namespace: "test", spec: spec)
        let sel = SelectorLabel(key: "app", value: "podinfo")
        let existing: JSONValue = ["apiVersion": "v1", "kind": "Service",
                                   "metadata": ["name": "podinfo", "namespace": "test", "resourceVersion": "3"],
                                   "spec": ["clusterIP": "10.0.0.7", "selector": ["app": "podinfo"],
                                            "ports": [["port": 80, "targetPort": 8080]]]]
        let kubernetes = KubernetesRouter()
        let toPrimary = kubernetes.routingObjects(spec: spec, names: names, selector: sel, weights: .primaryOnly,
                                                  existing: ["Service/podinfo": existing], ownerReference: nil)
        #expect(toPrimary.count == 1)
        #expect(toPrimary[0][path: ["spec", "selector"]] == ["app": "podinfo-primary"])
        #expect(toPrimary[0][path: ["spec", "clusterIP"]] == "10.0.0.7")
        #expect(toPrimary[0][path: ["spec", "ports"]][0]["targetPort"] == "http")
        #expect(kubernetes.readWeights(names: names, selector: sel, object: toPrimary[0]) == .primaryOnly)
        let toCanary = kubernetes.routingObjects(spec: spec, names: names, selector: sel,
                                                 weights: RouteWeights(primary: 0, canary: 100))
        #expect(toCanary[0][path: ["spec", "selector"]] == ["app": "podinfo"])
        #expect(kubernetes.readWeights(names: names, selector: sel, object: toCanary[0]) == RouteWeights(primary: 0, canary: 100))
    }

    @Test func routerFromProvider() {
        #expect(TrafficRouters.router(forProvider: "gatewayapi:v1")?.family == "gatewayapi")
        #expect(TrafficRouters.router(forProvider: "istio")?.family == "istio")
        #expect(TrafficRouters.router(forProvider: "knative") == nil)
        #expect(TrafficRouters.router(forProvider: "gloo")?.family == "gloo")
        #expect(TrafficRouters.router(forProvider: "kubernetes")?.splitsTraffic == false)
        #expect(TrafficRouters.router(forProvider: "nginx")?.family == "nginx")
        #expect(TrafficRouters.all.map(\.family) == ["kubernetes", "istio", "gatewayapi", "nginx", "smi", "", "traefik", "skipper", "kuma", "contour", "gloo", "apisix", ""],
                "the ALB and Ambassador routers serve Rollouts only: Flagger has no alb or ambassador provider")
        #expect(TrafficRouters.router(forProvider: "") == nil)
        #expect(TrafficRouters.watchedResources == [.services])
    }

    @Test func routersNameTheirObjects() {
        let spec = CanarySpec(provider: "istio", targetRef: CrossNamespaceRef(name: "podinfo"),
                              service: CanaryService(port: 80), analysis: CanaryAnalysis(iterations: 3))
        let names = CanaryNames(canaryName: "podinfo", namespace: "test", spec: spec)
        let istio = IstioRouter(), gateway = GatewayAPIRouter(), kubernetes = KubernetesRouter()
        #expect(istio.weightObject(names: names) == RouterObjectRef(.virtualServices, "podinfo"))
        #expect(gateway.weightObject(names: names) == RouterObjectRef(.httpRoutes, "podinfo"))
        #expect(kubernetes.weightObject(names: names) == RouterObjectRef(.services, "podinfo"))
        #expect(istio.cleanupObjects(names: names).map(\.name) == ["podinfo", "podinfo-primary", "podinfo-canary"])
        #expect(gateway.cleanupObjects(names: names) == [RouterObjectRef(.httpRoutes, "podinfo")])
        #expect(kubernetes.cleanupObjects(names: names).isEmpty)
        #expect(istio.resource(ofKind: "DestinationRule") == .destinationRules)
        #expect(gateway.resource(ofKind: "VirtualService") == nil)
        #expect(kubernetes.serviceRoles.count == 2)
        let routing = RolloutTrafficRouting(
            istio: RolloutIstioRouting(virtualService: RolloutIstioVirtualService(name: "vs", routes: ["primary"])),
            plugins: [RolloutTrafficRouting.gatewayAPIPlugin: ["httpRoute": "web", "namespace": "edge"]])
        let istioObjects = istio.rolloutObjects(routing, namespace: "test")
        #expect(istioObjects.map(\.resource) == [.virtualServices])
        #expect(istioObjects.map(\.name) == ["vs"])
        #expect(istioObjects.map(\.routes) == [["primary"]])
        #expect(gateway.rolloutObjects(routing, namespace: "test")
                == [RolloutRouteObject(resource: .httpRoutes, namespace: "edge", name: "web")])
        #expect(kubernetes.rolloutObjects(routing, namespace: "test").isEmpty)
    }
}

@Suite struct WorkloadBuilderTests {
    let target: JSONValue = [
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": ["name": "podinfo", "namespace": "test", "uid": "u-1", "resourceVersion": "99", "generation": 4,
                     "labels": ["app": "podinfo", "team": "web"],
                     "annotations": ["kubectl.kubernetes.io/last-applied-configuration": "{}", "note": "keep"]],
        "spec": [
            "replicas": 3, "minReadySeconds": 5, "revisionHistoryLimit": 4,
            "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%"]],
            "selector": ["matchLabels": ["app": "podinfo"]],
            "template": [
                "metadata": ["labels": ["app": "podinfo", "version": "v2"], "annotations": ["prometheus.io/scrape": "true"]],
                "spec": [
                    "futureField": ["x": 1],
                    "topologySpreadConstraints": [["maxSkew": 1, "topologyKey": "zone"]],
                    "volumes": [
                        ["name": "cfg", "configMap": ["name": "podinfo-config"]],
                        ["name": "tls", "secret": ["secretName": "podinfo-tls"]],
                        ["name": "all", "projected": ["sources": [["configMap": ["name": "podinfo-config"]], ["secret": ["name": "podinfo-tls"]]]]],
                        ["name": "scratch", "emptyDir": [:]],
                    ],
                    "initContainers": [["name": "init", "image": "busybox", "envFrom": [["configMapRef": ["name": "podinfo-env"]]]]],
                    "containers": [[
                        "name": "podinfo", "image": "ghcr.io/stefanprodan/podinfo:6.5.0",
                        "env": [["name": "TOKEN", "valueFrom": ["secretKeyRef": ["name": "podinfo-token", "key": "t"]]],
                                ["name": "PLAIN", "value": "x"]],
                        "envFrom": [["secretRef": ["name": "podinfo-env-secret"]]],
                    ]],
                ],
            ],
        ],
        "status": ["readyReplicas": 3],
    ]

    @Test func primaryIsAFaithfulCopyWithRewrittenLabels() throws {
        let sel = try #require(SelectorLabel(target: target))
        #expect(sel == SelectorLabel(key: "app", value: "podinfo"))
        let refs = ConfigReferences(podSpec: target[path: ["spec", "template", "spec"]])
        #expect(refs.configMaps == ["podinfo-config", "podinfo-env"])
        #expect(refs.secrets == ["podinfo-tls", "podinfo-token", "podinfo-env-secret"])

        let p = PrimaryDeploymentBuilder.primary(
            from: target, selector: sel,
            configMaps: ["podinfo-config": "podinfo-config-primary", "podinfo-env": "podinfo-env-primary"],
            secrets: ["podinfo-tls": "podinfo-tls-primary", "podinfo-token": "podinfo-token-primary"],
            checksum: "abc")
        #expect(p.name == "podinfo-primary")
        #expect(p.namespace == "test")
        #expect(p.uid == nil && p.resourceVersion == nil && p["status"].isNull)
        #expect(p.labels == ["app": "podinfo-primary", "team": "web"])
        #expect(p.annotations == ["note": "keep", "serin.dev/release-checksum": "abc"])
        #expect(p[path: ["spec", "selector", "matchLabels"]] == ["app": "podinfo-primary"])
        #expect(p[path: ["spec", "template", "metadata", "labels"]] == ["app": "podinfo-primary", "version": "v2"])
        // Fields Serin does not model are all there.
        for key in ["minReadySeconds", "revisionHistoryLimit", "strategy", "replicas"] {
            #expect(p[path: ["spec", key]] == target[path: ["spec", key]], "spec.\(key)")
        }
        let pod = p[path: ["spec", "template", "spec"]]
        #expect(pod["futureField"] == ["x": 1])
        #expect(pod["topologySpreadConstraints"] == target[path: ["spec", "template", "spec", "topologySpreadConstraints"]])
        #expect(pod["volumes"][0]["configMap"]["name"] == "podinfo-config-primary")
        #expect(pod["volumes"][1]["secret"]["secretName"] == "podinfo-tls-primary")
        #expect(pod["volumes"][2]["projected"]["sources"] == [["configMap": ["name": "podinfo-config-primary"]], ["secret": ["name": "podinfo-tls-primary"]]])
        #expect(pod["volumes"][3] == ["name": "scratch", "emptyDir": [:]])
        #expect(pod["initContainers"][0]["envFrom"][0]["configMapRef"]["name"] == "podinfo-env-primary")
        #expect(pod["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"] == ["name": "podinfo-token-primary", "key": "t"])
        #expect(pod["containers"][0]["env"][1] == ["name": "PLAIN", "value": "x"])
        // Not in the rename table: left alone.
        #expect(pod["containers"][0]["envFrom"][0]["secretRef"]["name"] == "podinfo-env-secret")
        #expect(pod["containers"][0]["image"] == "ghcr.io/stefanprodan/podinfo:6.5.0")
    }

    @Test func promotingKeepsThePrimarysMetadataAndReplicas() throws {
        let sel = SelectorLabel(key: "app", value: "podinfo")
        var existing = PrimaryDeploymentBuilder.primary(from: target, selector: sel, checksum: "old")
        existing[path: ["metadata", "resourceVersion"]] = "12"
        existing[path: ["metadata", "ownerReferences"]] = [["kind": "Canary", "name": "podinfo", "uid": "c-1"]]
        existing[path: ["spec", "replicas"]] = 7  // the HPA scaled it
        var newTarget = target
        newTarget[path: ["spec", "template", "spec", "containers"]][0]["image"] = "ghcr.io/stefanprodan/podinfo:6.6.0"
        let p = PrimaryDeploymentBuilder.primary(from: newTarget, selector: sel, existing: existing, checksum: "new")
        #expect(p.resourceVersion == "12")
        #expect(p.ownerReferences.count == 1)
        #expect(p[path: ["spec", "replicas"]] == 7)
        #expect(p.annotations["serin.dev/release-checksum"] == "new")
        #expect(p[path: ["spec", "template", "spec", "containers"]][0]["image"] == "ghcr.io/stefanprodan/podinfo:6.6.0")
    }

    @Test func servicesSelectThePrimaryAndTheCanary() {
        let spec = CanarySpec(targetRef: CrossNamespaceRef(name: "podinfo"),
                              service: CanaryService(port: 9898, portName: "http", targetPort: .int(8080), appProtocol: "http",
                                                     canary: CustomMetadata(labels: ["tier": "canary"], annotations: ["a": "b"])))
        let names = CanaryNames(canaryName: "podinfo", namespace: "test", spec: spec)
        let sel = SelectorLabel(key: "app", value: "podinfo")
        let apex = ServiceBuilder.service(.apex, spec: spec, names: names, selector: sel)
        let primary = ServiceBuilder.service(.primary, spec: spec, names: names, selector: sel)
        let canary = ServiceBuilder.service(.canary, spec: spec, names: names, selector: sel)
        #expect([apex.name, primary.name, canary.name] == ["podinfo", "podinfo-primary", "podinfo-canary"])
        #expect(apex[path: ["spec", "selector"]] == ["app": "podinfo-primary"])
        #expect(primary[path: ["spec", "selector"]] == ["app": "podinfo-primary"])
        #expect(canary[path: ["spec", "selector"]] == ["app": "podinfo"])
        #expect(canary.labels["tier"] == "canary")
        #expect(canary.annotations == ["a": "b"])
        #expect(apex[path: ["spec", "ports"]] == [["name": "http", "port": 9898, "protocol": "TCP", "targetPort": 8080, "appProtocol": "http"]])
        #expect(apex[path: ["spec", "trafficDistribution"]] == .null)
    }

    @Test func flaggersTrafficDistributionIsSetOnEveryGeneratedService() {
        var service = CanaryService(port: 9898)
        service.trafficDistribution = "PreferClose"
        let spec = CanarySpec(targetRef: CrossNamespaceRef(name: "podinfo"), service: service)
        let names = CanaryNames(canaryName: "podinfo", namespace: "test", spec: spec)
        let sel = SelectorLabel(key: "app", value: "podinfo")
        for role in [ServiceBuilder.Role.apex, .primary, .canary] {
            let svc = ServiceBuilder.service(role, spec: spec, names: names, selector: sel)
            #expect(svc[path: ["spec", "trafficDistribution"]] == "PreferClose", "\(svc.name ?? "")")
        }
    }

    @Test func releaseChecksumFollowsTemplateAndConfigData() {
        let template = target[path: ["spec", "template"]]
        let cm: JSONValue = ["kind": "ConfigMap", "metadata": ["name": "podinfo-config", "resourceVersion": "1"], "data": ["a": "1"]]
        let base = ReleaseChecksum.compute(podTemplate: template, configs: [cm])
        #expect(base.count == 16)
        var touched = cm
        touched[path: ["metadata", "resourceVersion"]] = "2"
        #expect(ReleaseChecksum.compute(podTemplate: template, configs: [touched]) == base)
        var changed = cm
        changed["data"] = ["a": "2"]
        #expect(ReleaseChecksum.compute(podTemplate: template, configs: [changed]) != base)
        var newImage = template
        newImage[path: ["spec", "containers"]][0]["image"] = "podinfo:7"
        #expect(ReleaseChecksum.compute(podTemplate: newImage, configs: [cm]) != base)
    }

    @Test func autoscalerCopyTargetsThePrimary() {
        let hpa: JSONValue = ["apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                              "metadata": ["name": "podinfo", "namespace": "test", "uid": "h"],
                              "spec": ["scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"],
                                       "minReplicas": 2, "maxReplicas": 4, "metrics": [["type": "Resource"]]]]
        let copy = PrimaryDeploymentBuilder.autoscalerCopy(of: hpa, primaryName: "podinfo-primary")
        #expect(copy.name == "podinfo-primary")
        #expect(copy.uid == nil)
        #expect(copy[path: ["spec", "scaleTargetRef", "name"]] == "podinfo-primary")
        #expect(copy[path: ["spec", "metrics"]] == [["type": "Resource"]])
        #expect(copy[path: ["spec", "minReplicas"]] == 2)
        #expect(copy[path: ["spec", "maxReplicas"]] == 4)
        // Flagger's primaryScalerReplicas: the primary's own bounds.
        let bounded = PrimaryDeploymentBuilder.autoscalerCopy(
            of: hpa, primaryName: "podinfo-primary", replicas: CanaryPrimaryScalerReplicas(minReplicas: 3, maxReplicas: 9))
        #expect(bounded[path: ["spec", "minReplicas"]] == 3)
        #expect(bounded[path: ["spec", "maxReplicas"]] == 9)
        let onlyMax = PrimaryDeploymentBuilder.autoscalerCopy(
            of: hpa, primaryName: "podinfo-primary", replicas: CanaryPrimaryScalerReplicas(maxReplicas: 8))
        #expect(onlyMax[path: ["spec", "minReplicas"]] == 2)
        #expect(onlyMax[path: ["spec", "maxReplicas"]] == 8)
    }
}

import Foundation
import KubeCore

/// CRDs standing in for what Keptn's metrics operator installs (KeptnMetric, Analysis in
/// `metrics.keptn.sh/v1beta1`) and for an external metrics adapter's aggregated API (a CRD in
/// `external.metrics.k8s.io/v1beta1` whose plural is the metric's name, so the test API server
/// answers `…/namespaces/NS/METRIC` with an `ExternalMetricValueList` as an adapter would).
/// No schema beyond an object: the tests write the fields those APIs carry.
enum KubeMetricCRDs {
    static let keptnMetrics = ResourceType(group: "metrics.keptn.sh", version: "v1beta1", plural: "keptnmetrics", kind: "KeptnMetric")
    static let keptnAnalyses = ResourceType(group: "metrics.keptn.sh", version: "v1beta1", plural: "analyses", kind: "Analysis")

    static func externalMetric(_ metric: String) -> ResourceType {
        ResourceType(group: "external.metrics.k8s.io", version: "v1beta1", plural: metric, kind: "ExternalMetricValue")
    }

    static func crd(_ r: ResourceType, singular: String) -> JSONValue {
        [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": ["name": .string("\(r.plural).\(r.group)"),
                         "annotations": ["api-approved.kubernetes.io": "https://github.com/kubernetes/enhancements/pull/1111"]],
            "spec": [
                "group": .string(r.group), "scope": "Namespaced",
                "names": ["plural": .string(r.plural), "singular": .string(singular), "kind": .string(r.kind), "listKind": .string(r.kind + "List")],
                "versions": [[
                    "name": .string(r.version), "served": true, "storage": true,
                    "schema": ["openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]],
                ]],
            ],
        ]
    }
}

import KubeCore

/// Small manifests the conformance tests create.
enum Fixtures {
    static func configMap(_ name: String, labels: [String: String] = [:], data: [String: String] = ["k": "v"]) -> JSONValue {
        var m: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)]]
        if !labels.isEmpty { m["metadata"]["labels"] = .object(labels.mapValues(JSONValue.string)) }
        m["data"] = .object(data.mapValues(JSONValue.string))
        return m
    }

    static func deployment(_ name: String, replicas: Int = 1, image: String = "nginx:1.25") -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name)],
            "spec": [
                "replicas": .int(Int64(replicas)),
                "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)]],
                    "spec": ["containers": [["name": "app", "image": .string(image), "env": [["name": "A", "value": "1"]]]]],
                ],
            ],
        ]
    }

    /// A namespaced CRD `widgets.example.com` with status and scale subresources, printer
    /// columns and schema defaults.
    static let widgetCRD: JSONValue = [
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": ["name": "widgets.example.com"],
        "spec": [
            "group": "example.com", "scope": "Namespaced",
            "names": ["plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"], "categories": ["all", "gadgets"]],
            "versions": [[
                "name": "v1", "served": true, "storage": true,
                "subresources": [
                    "status": [:],
                    "scale": ["specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas", "labelSelectorPath": ".status.selector"],
                ],
                "additionalPrinterColumns": [
                    ["name": "Size", "type": "integer", "jsonPath": ".spec.size"],
                    ["name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"],
                    ["name": "Color", "type": "string", "jsonPath": ".spec.colors[0]"],
                    ["name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"],
                ],
                "schema": ["openAPIV3Schema": [
                    "type": "object",
                    "properties": [
                        "spec": [
                            "type": "object",
                            "properties": [
                                "size": ["type": "integer", "default": 3],
                                "replicas": ["type": "integer"],
                                "colors": ["type": "array", "items": ["type": "string"]],
                                "parts": ["type": "array", "items": ["type": "object", "properties": ["weight": ["type": "integer", "default": 1]]]],
                            ],
                        ],
                        "status": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
                    ],
                ]],
            ]],
        ],
    ]

    static func widget(_ name: String, size: Int? = nil) -> JSONValue {
        var w: JSONValue = ["apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": .string(name)], "spec": ["colors": ["red", "blue"], "replicas": 1]]
        if let size { w["spec"]["size"] = .int(Int64(size)) }
        return w
    }
}

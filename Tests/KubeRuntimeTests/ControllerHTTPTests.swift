import Foundation
import KubeClient
import KubeCore
import KubeTestServer
import Testing
import SerinTestSupport

@testable import KubeRuntime

/// Records reconciles; returns results from a per-key script (then `.done`).
final class RecordingReconciler: Reconciler {
    let probe = ReconcileProbe()
    let script: Box<[ObjectKey: [ReconcileResult]]>
    let delay: Duration
    let ids = Box<[String]>([])

    init(script: [ObjectKey: [ReconcileResult]] = [:], delay: Duration = .zero) {
        self.script = Box(script)
        self.delay = delay
    }

    func reconcile(_ key: ObjectKey) async -> ReconcileResult {
        probe.enter(key)
        defer { probe.leave(key) }
        if let id = ReconcileContext.reconcileID { ids.update { $0.append(id) } }
        if delay > .zero { try? await Task.sleep(for: delay) }
        var next: ReconcileResult = .done
        script.update { s in
            if var list = s[key], !list.isEmpty {
                next = list.removeFirst()
                s[key] = list
            }
        }
        return next
    }
}

struct TestFailure: Error {}

@Suite("Controller over HTTP", .timeLimit(.minutes(1)))
struct ControllerHTTPTests {
    let fast = InformerOptions(backoff: Backoff(initial: .milliseconds(50), maximum: .milliseconds(200)))

    @Test func reconcilesPrimaryOwnedAndMappedObjects() async throws {
        try await HTTPEnvironment.with { env in
            let api = env.client
            var opts = fast
            opts.labelSelector = "t=ctl"
            let parents = Informer(api: api, resource: .configMaps, options: opts)
            let secrets = Informer(api: api, resource: .secrets, options: fast)
            let services = Informer(api: api, resource: .services, options: fast)
            let reconciler = RecordingReconciler()
            let controller = Controller(
                name: "test", primary: parents, reconciler: reconciler,
                sources: [
                    .owned(secrets, ownerKind: "ConfigMap", ownerAPIVersion: "v1"),
                    .mapped(services) { svc in
                        svc.annotations["example.dev/target"].map { [ObjectKey(namespace: svc.namespace, name: $0)] } ?? []
                    },
                ], workers: 3)
            for i in [parents, secrets, services] { await i.start() }
            let run = Task { await controller.run() }

            let p = try await api.create(.configMaps, namespace: "default", configMap("p", labels: ["t": "ctl"]))
            let key = ObjectKey(namespace: "default", name: "p")
            let condition1 = await eventually { reconciler.probe.calls(key) == 1 }
            #expect(condition1)

            // An owned Secret (controller reference to the ConfigMap) maps to its owner.
            var secret: JSONValue = [
                "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s", "namespace": "default"], "stringData": ["a": "b"],
            ]
            secret[path: ["metadata", "ownerReferences"]] = [p.ownerReference(apiVersion: "v1", kind: "ConfigMap")]
            _ = try await api.create(.secrets, namespace: "default", secret)
            let condition2 = await eventually { reconciler.probe.calls(key) == 2 }
            #expect(condition2)

            // A reference to another kind, or one that is not the controller, maps to nothing.
            var other: JSONValue = ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "o", "namespace": "default"]]
            var ref = p.ownerReference(apiVersion: "apps/v1", kind: "Deployment")
            other[path: ["metadata", "ownerReferences"]] = [ref]
            _ = try await api.create(.secrets, namespace: "default", other)
            ref = p.ownerReference(apiVersion: "v1", kind: "ConfigMap")
            ref["controller"] = false
            other[path: ["metadata", "name"]] = "o2"
            other[path: ["metadata", "ownerReferences"]] = [ref]
            _ = try await api.create(.secrets, namespace: "default", other)

            // A Service mapped by annotation.
            let svc: JSONValue = [
                "apiVersion": "v1", "kind": "Service",
                "metadata": ["name": "svc", "namespace": "default", "annotations": ["example.dev/target": "p"]],
                "spec": ["ports": [["port": 80]], "selector": ["app": "x"]],
            ]
            _ = try await api.create(.services, namespace: "default", svc)
            let condition3 = await eventually { reconciler.probe.calls(key) == 3 }
            #expect(condition3)
            try await Task.sleep(for: .milliseconds(200))
            #expect(reconciler.probe.calls(key) == 3)
            #expect(reconciler.probe.keys == [key])
            #expect(reconciler.probe.maxConcurrentPerKey == 1)
            #expect(Set(reconciler.ids.value).count == reconciler.ids.value.count)

            // Deleting the primary reconciles it again (to clean up); the server's garbage collector
            // then deletes the owned Secret, which may reconcile it once more.
            try await api.delete(.configMaps, namespace: "default", name: "p")
            let condition4 = await eventually { reconciler.probe.calls(key) >= 4 }
            #expect(condition4)
            run.cancel()
            for i in [parents, secrets, services] { await i.stop() }
            await run.value
        }
    }

    @Test func errorsRetryWithBackoffAndRequeueAfterRunsAgain() async throws {
        try await HTTPEnvironment.with { env in
            let a = ObjectKey(namespace: "default", name: "a")
            let b = ObjectKey(namespace: "default", name: "b")
            let reconciler = RecordingReconciler(script: [
                a: [.error(TestFailure()), .error(TestFailure()), .error(TestFailure()), .done],
                b: [.requeue(after: .milliseconds(100)), .requeue(after: .milliseconds(100)), .done],
            ])
            var opts = fast
            opts.labelSelector = "t=retry"
            let informer = Informer(api: env.client, resource: .configMaps, options: opts)
            let controller = Controller(
                name: "retry", primary: informer, reconciler: reconciler, workers: 2,
                backoff: Backoff(initial: .milliseconds(20), maximum: .seconds(1)))
            await informer.start()
            let run = Task { await controller.run() }
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("a", labels: ["t": "retry"]))
            _ = try await env.client.create(.configMaps, namespace: "default", configMap("b", labels: ["t": "retry"]))
            let condition5 = await eventually { reconciler.probe.calls(a) == 4 && reconciler.probe.calls(b) == 3 }
            #expect(condition5)
            // The backoff was forgotten after success.
            #expect(await controller.queue.numRequeues(a) == 0)
            try await Task.sleep(for: .milliseconds(300))
            #expect(reconciler.probe.calls(a) == 4)
            #expect(reconciler.probe.calls(b) == 3)
            run.cancel()
            await informer.stop()
            await run.value
        }
    }
}

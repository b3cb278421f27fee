import Analysis
import Controllers
import Foundation
import KubeCore
import SerinAPI
import Synchronization
import Testing
import SerinTestSupport

/// AnalysisRuns measured by Argo's web and job providers through the controller: a scripted
/// HTTP server on loopback for web, the test API server's batch/v1 Jobs for job (the test
/// sets a Job's conditions as the Job controller would).
@Suite("AnalysisRun providers", .serialized, .timeLimit(.minutes(2)))
struct AnalysisRunProviderTests {
    static func metric(_ name: String, provider: String, count: Int? = 2, success: String? = nil,
                       errorLimit: Int? = nil) throws -> AnalysisMetric {
        var m = AnalysisMetric(name: name, interval: count == nil ? nil : "1s", count: count.map { .int($0) },
                               successCondition: success,
                               provider: try JSONValue(yaml: provider).decode(as: AnalysisMetricProvider.self))
        m.consecutiveErrorLimit = errorLimit.map { .int($0) }
        return m
    }

    @Test("web: good values end the run Successful, bad values Failed, an answer without the value Error; Secret values stay out of status")
    func web() async throws {
        let server = try await ScriptedHTTPServer.start()
        let secret = "tok-8d1e5c0b"
        server.script { req in
            switch req.path {
            case "/good": return (200, #"{"data":{"rate":0.99}}"#)
            case "/bad": return (200, #"{"data":{"rate":0.42}}"#)
            case "/empty": return (200, #"{"data":{}}"#)
            default: return (403, "denied for \(secret)")
            }
        }
        defer { Task { await server.stop() } }
        try await AnalysisRunEnvironment.with { env in
            _ = try await env.client.create(.secrets, namespace: env.namespace, [
                "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "token-secret"],
                "stringData": ["apiToken": .string(secret)],
            ])
            await env.startOperator()
            let args = [AnalysisArgument(name: "api-token", valueFrom: AnalysisArgumentValueFrom(
                secretKeyRef: AnalysisSecretKeyRef(name: "token-secret", key: "apiToken")))]
            func web(_ path: String) -> String {
                "web: {url: '\(server.baseURL)\(path)', headers: [{key: Authorization, value: 'Bearer {{args.api-token}}'}], jsonPath: '{$.data.rate}'}"
            }
            try await env.createRun("web-good", AnalysisRunSpec(
                metrics: [try Self.metric("rate", provider: web("/good"), success: "result >= 0.95")], args: args))
            try await env.createRun("web-bad", AnalysisRunSpec(
                metrics: [try Self.metric("rate", provider: web("/bad"), success: "result >= 0.95")], args: args))
            try await env.createRun("web-empty", AnalysisRunSpec(
                metrics: [try Self.metric("rate", provider: web("/empty"), count: 1, success: "result >= 0.95", errorLimit: 0)],
                args: args))
            try await env.createRun("web-denied", AnalysisRunSpec(
                metrics: [try Self.metric("rate", provider: web("/denied"), count: 1, success: "result >= 0.95", errorLimit: 0)],
                args: args))
            let good = await env.waitPhase("web-good", "Successful")
            #expect(good)
            let goodStatus = await env.run("web-good")["status"]
            let values = (goodStatus["metricResults"][0]["measurements"].arrayValue ?? []).compactMap { $0["value"].stringValue }
            #expect(values == ["0.99", "0.99"])
            let bad = await env.waitPhase("web-bad", "Failed")
            #expect(bad)
            let badMessage = await env.run("web-bad")["status"]["metricResults"][0]["measurements"][0]["message"].stringValue
            #expect(badMessage?.contains("is false for 0.42") == true, "\(badMessage ?? "")")
            let empty = await env.waitPhase("web-empty", "Error")
            #expect(empty)
            let emptyMessage = await env.run("web-empty")["status"]["message"].stringValue ?? ""
            #expect(emptyMessage.contains("jsonPath {$.data.rate} found nothing"), "\(emptyMessage)")
            let denied = await env.waitPhase("web-denied", "Error")
            #expect(denied)
            let deniedStatus = await env.run("web-denied")["status"].serialized()
            #expect(deniedStatus.contains("answered HTTP 403"), "\(deniedStatus)")
            #expect(!deniedStatus.contains(secret))
            // Two measurements of web-good, one each for the others (a failure ends web-bad at once).
            #expect(server.requests.count == 5)
        }
    }

    static let jobSettings = """
        job:
          metadata:
            labels: {team: payments}
            annotations: {linkerd.io/inject: enabled}
          spec:
            backoffLimit: 0
            template:
              spec:
                containers: [{name: check, image: alpine:3.8, command: [sh, -c], args: [exit 0]}]
                restartPolicy: Never
        """

    func jobs(_ env: AnalysisRunEnvironment) async -> [JSONValue] {
        (try? await env.client.list(.jobs, namespace: env.namespace))?.items ?? []
    }

    func setCondition(_ env: AnalysisRunEnvironment, job name: String, type: String, message: String) async throws {
        var job = try await env.client.get(.jobs, namespace: env.namespace, name: name)
        job["status"] = ["conditions": [["type": .string(type), "status": "True", "reason": .string(type == "Failed" ? "BackoffLimitExceeded" : "Completed"),
                                         "message": .string(message)]]]
        _ = try await env.client.updateStatus(.jobs, namespace: env.namespace, job)
    }

    @Test("job: a Job owned by the run, named <uid>.<metric>.<n>; Complete is Successful, Failed is Failed")
    func jobLifecycle() async throws {
        try await AnalysisRunEnvironment.with { env in
            await env.startOperator()
            try await env.createRun("job-pass", AnalysisRunSpec(metrics: [try Self.metric("pass", provider: Self.jobSettings, count: nil)]))
            let uid = await env.run("job-pass")["metadata"]["uid"].stringValue ?? ""
            let created = await env.drive(timeout: .seconds(10)) { await jobs(env).count == 1 }
            #expect(created)
            let job = try #require(await jobs(env).first)
            #expect(job.name == "\(uid).pass.1")
            #expect(job[path: ["metadata", "labels", "analysisrun.argoproj.io/uid"]].stringValue == uid)
            #expect(job[path: ["metadata", "labels", "team"]] == "payments")
            #expect(job[path: ["metadata", "annotations", "analysisrun.argoproj.io/name"]] == "job-pass")
            #expect(job[path: ["metadata", "annotations", "analysisrun.argoproj.io/metric-name"]] == "pass")
            #expect(job[path: ["metadata", "annotations", "linkerd.io/inject"]] == "enabled")
            let owner = job[path: ["metadata", "ownerReferences"]][0]
            #expect(owner["kind"] == "AnalysisRun" && owner["uid"].stringValue == uid && owner["controller"] == true)
            #expect(job[path: ["spec", "template", "spec", "containers"]][0]["image"] == "alpine:3.8")
            let running = await env.drive(timeout: .seconds(5)) {
                await env.run("job-pass")["status"]["metricResults"][0]["measurements"][0]["phase"] == "Running"
            }
            #expect(running)
            // Time passing while the Job runs creates no second Job.
            _ = await env.drive(timeout: .milliseconds(400)) { false }
            #expect(await jobs(env).count == 1)
            try await setCondition(env, job: job.name ?? "", type: "Complete", message: "")
            let done = await env.waitPhase("job-pass", "Successful")
            #expect(done)
            let m = await env.run("job-pass")["status"]["metricResults"][0]["measurements"][0]
            #expect(m["phase"] == "Successful")
            #expect(m["metadata"]["job-name"].stringValue == job.name)
            #expect(m["finishedAt"].stringValue != nil)

            try await env.createRun("job-fail", AnalysisRunSpec(metrics: [try Self.metric("check", provider: Self.jobSettings, count: nil)]))
            let failUID = await env.run("job-fail")["metadata"]["uid"].stringValue ?? ""
            let second = await env.drive(timeout: .seconds(10)) { await jobs(env).contains { $0.name == "\(failUID).check.1" } }
            #expect(second)
            try await setCondition(env, job: "\(failUID).check.1", type: "Failed", message: "Job has reached the specified backoff limit")
            let failed = await env.waitPhase("job-fail", "Failed")
            #expect(failed)
            let failMessage = await env.run("job-fail")["status"]["metricResults"][0]["measurements"][0]["message"].stringValue ?? ""
            #expect(failMessage.contains("failed: BackoffLimitExceeded: Job has reached the specified backoff limit"), "\(failMessage)")
        }
    }

    @Test("job: terminating the run deletes its running Job; a Job left by an earlier step is adopted, not created twice")
    func jobTerminateAndRestart() async throws {
        try await AnalysisRunEnvironment.with { env in
            // Before the operator runs: the Job a crashed step created, with the deterministic name.
            try await env.createRun("job-adopt", AnalysisRunSpec(metrics: [try Self.metric("pass", provider: Self.jobSettings, count: nil)]))
            let run = await env.run("job-adopt")
            let uid = run["metadata"]["uid"].stringValue ?? ""
            let settings = try JSONValue(yaml: Self.jobSettings)["job"]
            let context = AnalysisProviderContext(
                run: AnalysisRunIdentity(name: "job-adopt", namespace: env.namespace, uid: uid), metricName: "pass")
            _ = try await env.client.create(.jobs, namespace: env.namespace, JobProvider.job(settings: settings, context: context))
            await env.startOperator()
            let running = await env.drive(timeout: .seconds(5)) {
                await env.run("job-adopt")["status"]["metricResults"][0]["measurements"][0]["phase"] == "Running"
            }
            #expect(running)
            #expect(await jobs(env).count == 1)
            try await setCondition(env, job: "\(uid).pass.1", type: "Complete", message: "")
            let adopted = await env.waitPhase("job-adopt", "Successful")
            #expect(adopted)

            try await env.createRun("job-stop", AnalysisRunSpec(metrics: [try Self.metric("pass", provider: Self.jobSettings, count: nil)]))
            let stopUID = await env.run("job-stop")["metadata"]["uid"].stringValue ?? ""
            let started = await env.drive(timeout: .seconds(10)) { await jobs(env).contains { $0.name == "\(stopUID).pass.1" } }
            #expect(started)
            _ = try await env.client.patch(.analysisRuns, namespace: env.namespace, name: "job-stop", type: .merge,
                                           ["spec": ["terminate": true]])
            let stopped = await env.waitPhase("job-stop", "Successful")
            #expect(stopped)
            let gone = await env.drive(timeout: .seconds(5)) { await !jobs(env).contains { $0.name == "\(stopUID).pass.1" } }
            #expect(gone)
            let message = await env.run("job-stop")["status"]["metricResults"][0]["measurements"][0]["message"].stringValue ?? ""
            #expect(message.contains("run terminated"), "\(message)")
        }
    }

    @Test("datadog: v2 scalar values judged Successful and Failed, no data through default(), a missing Secret named, keys kept out of status")
    func datadog() async throws {
        let server = try await ScriptedHTTPServer.start()
        let value = Mutex<String>("0.004")
        server.script { req in
            guard req.method == "POST", req.path == "/api/v2/query/scalar" else { return (404, #"{"errors":["Not found"]}"#) }
            let v = value.withLock { $0 }
            let values = v.isEmpty ? "[]" : "[\(v)]"
            return (200, #"{"data":{"type":"scalar_response","attributes":{"columns":[{"name":"query","type":"number","values":"# + values + "}]}}}")
        }
        defer { Task { await server.stop() } }
        try await AnalysisRunEnvironment.with { env in
            _ = try await env.client.create(.secrets, namespace: env.namespace, [
                "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "dd-keys"],
                "stringData": ["address": .string(server.baseURL), "api-key": "dd-api-3c2b", "app-key": "dd-app-7a6f"],
            ])
            await env.startOperator()
            func provider(_ secret: String) -> String {
                "datadog: {apiVersion: v2, interval: 5m, secretRef: {name: \(secret), namespaced: true}, query: 'sum:requests.error.rate{service:podinfo}'}"
            }
            try await env.createRun("dd-good", AnalysisRunSpec(metrics: [try Self.metric("error-rate", provider: provider("dd-keys"), success: "result <= 0.01")]))
            let good = await env.waitPhase("dd-good", "Successful")
            #expect(good)
            let body = try JSONValue(parsing: server.requests.first?.body ?? "")
            #expect(body[path: ["data", "attributes", "queries"]][0]["query"] == "sum:requests.error.rate{service:podinfo}")
            let window = (body[path: ["data", "attributes", "to"]].intValue ?? 0) - (body[path: ["data", "attributes", "from"]].intValue ?? 0)
            #expect(window == 300_000)

            value.withLock { $0 = "0.2" }
            try await env.createRun("dd-bad", AnalysisRunSpec(metrics: [try Self.metric("error-rate", provider: provider("dd-keys"), success: "result <= 0.01")]))
            let bad = await env.waitPhase("dd-bad", "Failed")
            #expect(bad)

            value.withLock { $0 = "" }
            try await env.createRun("dd-none", AnalysisRunSpec(metrics: [try Self.metric("error-rate", provider: provider("dd-keys"), count: 1, success: "default(result, 0) < 10")]))
            let none = await env.waitPhase("dd-none", "Successful")
            #expect(none)
            let noneValue = await env.run("dd-none")["status"]["metricResults"][0]["measurements"][0]["value"].stringValue
            #expect(noneValue == "null")

            try await env.createRun("dd-missing", AnalysisRunSpec(metrics: [try Self.metric("error-rate", provider: provider("dd-absent"), count: 1, success: "result < 1", errorLimit: 0)]))
            let missing = await env.waitPhase("dd-missing", "Error")
            #expect(missing)
            let message = await env.run("dd-missing")["status"]["message"].stringValue ?? ""
            #expect(message.contains("Secret microservices/dd-absent not found"), "\(message)")
            for name in ["dd-good", "dd-bad", "dd-none", "dd-missing"] {
                let text = await env.run(name).serialized()
                #expect(!text.contains("dd-api-3c2b") && !text.contains("dd-app-7a6f"))
            }
        }
    }

    @Test("job: each measurement a new Job; Jobs beyond measurementRetention are deleted, oldest first")
    func jobRetention() async throws {
        try await AnalysisRunEnvironment.with { env in
            await env.startOperator()
            var spec = AnalysisRunSpec(metrics: [try Self.metric("pass", provider: Self.jobSettings, count: 3)])
            spec.measurementRetention = [AnalysisMeasurementRetention(metricName: "pass", limit: 1)]
            try await env.createRun("job-keep", spec)
            let uid = await env.run("job-keep")["metadata"]["uid"].stringValue ?? ""
            for n in 1...3 {
                let name = "\(uid).pass.\(n)"
                let created = await env.drive(timeout: .seconds(10)) { await jobs(env).contains { $0.name == name } }
                #expect(created, "\(name)")
                try await setCondition(env, job: name, type: "Complete", message: "")
            }
            let done = await env.waitPhase("job-keep", "Successful")
            #expect(done)
            let left = await jobs(env).compactMap(\.name)
            #expect(left == ["\(uid).pass.3"], "\(left)")
            let count = await env.run("job-keep")["status"]["metricResults"][0]["count"].intValue
            #expect(count == 3)
        }
    }

    @Test("newRelic: NRQL through NerdGraph; a map result judged by its field; the key from the profile Secret")
    func newRelic() async throws {
        let server = try await ScriptedHTTPServer.start()
        let rate = Mutex<Double>(99.5)
        server.script { req in
            guard req.method == "POST", req.path == "/graphql" else { return (404, #"{"errors":[{"message":"not found"}]}"#) }
            let r = rate.withLock { $0 }
            return (200, #"{"data":{"actor":{"account":{"nrql":{"results":[{"successRate":\#(r)}]}}}}}"#)
        }
        defer { Task { await server.stop() } }
        try await AnalysisRunEnvironment.with { env in
            _ = try await env.client.create(.secrets, namespace: env.namespace, [
                "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "nr-profile"],
                "stringData": ["personal-api-key": "NRAK-5e1f", "account-id": "12345",
                               "base-url-nerdgraph": .string(server.baseURL + "/graphql")],
            ])
            await env.startOperator()
            let provider = "newRelic: {profile: nr-profile, query: \"SELECT percentage(count(*), WHERE httpResponseCode != 500) AS successRate FROM Transaction\"}"
            try await env.createRun("nr-good", AnalysisRunSpec(metrics: [try Self.metric("rate", provider: provider, success: "result.successRate >= 99")]))
            let good = await env.waitPhase("nr-good", "Successful")
            #expect(good)
            let body = try JSONValue(parsing: server.requests.first?.body ?? "")
            #expect(body["variables"]["accountId"] == 12345)
            rate.withLock { $0 = 91 }
            try await env.createRun("nr-bad", AnalysisRunSpec(metrics: [try Self.metric("rate", provider: provider, success: "result.successRate >= 99")]))
            let bad = await env.waitPhase("nr-bad", "Failed")
            #expect(bad)
            for name in ["nr-good", "nr-bad"] {
                #expect(!(await env.run(name).serialized().contains("NRAK-5e1f")))
            }
        }
    }
}

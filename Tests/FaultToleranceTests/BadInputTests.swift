import Foundation
import KubeCore
import SerinAPI
import Testing
import SerinTestSupport

/// A corpus of malformed and contradictory objects (Tests/FaultToleranceTests/Corpus/*.yaml)
/// applied to the test API server while a real `serin operator` runs. Each file says in an
/// `# expect: WORD` line which field its problem is about; the object must be rejected at
/// admission, or reported by the operator, with a message that contains that word. The
/// operator never crashes and still delivers a valid Canary afterwards.
@Suite("Fault tolerance: bad input", .serialized)
struct BadInputTests {
    struct Entry: Sendable {
        var file: String
        var expect: [String]
        var object: JSONValue
        var kind: String { object["kind"].stringValue ?? "" }
        var name: String { object.name ?? "" }

        func names(_ message: String) -> Bool { expect.contains { message.contains($0) } }
    }

    /// Entries Serin does not reject or report yet, each with the reason (reported; remove when fixed).
    /// Open bugs, each recorded as a known issue (it still runs, and says when it is fixed).
    static let knownGaps: [String: String] = [
        // In-process (StatefulSetMissingTests) the Rollout reports WorkloadNotFound; through the
        // operator process in this suite it stays without status. Not found yet.
        "rollout-workloadref-statefulset.yaml": "a Rollout naming a missing StatefulSet gets no status from the operator process",
    ]

    static var corpusDirectory: URL { repoRoot.appendingPathComponent("Tests/FaultToleranceTests/Corpus") }

    static func corpus() throws -> [Entry] {
        let files = try FileManager.default.contentsOfDirectory(atPath: corpusDirectory.path).filter { $0.hasSuffix(".yaml") }.sorted()
        return try files.map { f in
            let text = try String(contentsOf: corpusDirectory.appendingPathComponent(f), encoding: .utf8)
            let expect = text.split(separator: "\n").filter { $0.hasPrefix("# expect: ") }.map { String($0.dropFirst(10)) }
            return Entry(file: f, expect: expect, object: try JSONValue(yaml: text))
        }
    }

    /// What the API server or the operator said about one entry.
    enum Verdict: CustomStringConvertible {
        case rejected(String)
        case reported(String)
        case silent(String)

        var description: String {
            switch self {
            case .rejected(let m): return "rejected: \(m)"
            case .reported(let m): return "reported: \(m)"
            case .silent(let m): return "nothing said: \(m)"
            }
        }
    }

    @Test("≥ 100 malformed objects: each rejected or reported naming its field; the operator lives on", .timeLimit(.minutes(2)))
    func corpusIsRejectedOrReported() async throws {
        let entries = try Self.corpus()
        let kinds = Dictionary(grouping: entries, by: \.kind).mapValues(\.count)
        print("BadInputTests: \(entries.count) corpus entries \(kinds)")
        #expect(entries.count >= 100)
        let unlabelled = entries.filter { $0.expect.isEmpty || $0.name.isEmpty }.map(\.file)
        #expect(unlabelled.isEmpty, "entries without '# expect:' or a name: \(unlabelled)")

        let cluster = try await FaultCluster.start()
        let ns = cluster.namespace
        let api = cluster.api
        try await cluster.createDeployment("corpus-target")
        let op = try cluster.startOperator(identity: "op-corpus")

        var verdicts: [String: Verdict] = [:]
        var admitted: [Entry] = []
        for var e in entries {
            e.object[path: ["metadata", "namespace"]] = .string(ns)
            let resource: ResourceType = e.kind == "Canary" ? .canaries : e.kind == "Rollout" ? .rollouts : .analysisTemplates
            do {
                _ = try await api.create(resource, namespace: ns, e.object)
                admitted.append(e)
            } catch {
                verdicts[e.file] = .rejected("\(error)")
            }
        }
        // Templates have no controller of their own: a run built from an admitted template shows what Serin makes of it.
        for e in admitted where e.kind == "AnalysisTemplate" {
            var args = e.object[path: ["spec", "args"]].arrayValue ?? []
            for i in args.indices where args[i]["value"] == .null && args[i]["valueFrom"] == .null { args[i]["value"] = "web" }
            var spec = e.object["spec"]
            if e.object[path: ["spec", "args"]] != .null { spec["args"] = .array(args) }
            let run: JSONValue = ["apiVersion": "serin.dev/v1alpha1", "kind": "AnalysisRun",
                                  "metadata": ["name": .string("run-" + e.name), "namespace": .string(ns)], "spec": spec]
            do {
                _ = try await api.create(.analysisRuns, namespace: ns, run)
            } catch {
                verdicts[e.file] = .rejected("AnalysisRun from the template: \(error)")
            }
        }

        /// The operator's word on an admitted entry, or nil while it has said nothing yet.
        @Sendable func report(_ e: Entry) async -> Verdict? {
            switch e.kind {
            case "Canary":
                let status = await cluster.canaryStatus(e.name)
                for c in status["conditions"].arrayValue ?? [] where c["type"] == "SpecValid" && c["status"] == "False" {
                    return .reported("\(c["reason"].stringValue ?? ""): \(c["message"].stringValue ?? "")")
                }
                if let m = status["message"].stringValue, status["phase"] == .null { return .silent("status.message \(m)") }
                return nil
            case "Rollout":
                let status = ((try? await api.get(.rollouts, namespace: ns, name: e.name)) ?? .null)["status"]
                for c in status["conditions"].arrayValue ?? [] where c["type"] == "InvalidSpec" && c["status"] == "True" {
                    return .reported("\(c["reason"].stringValue ?? ""): \(c["message"].stringValue ?? "")")
                }
                return nil
            case "AnalysisTemplate":
                let run = try? await api.get(.analysisRuns, namespace: ns, name: "run-" + e.name)
                let phase = run?["status"]["phase"].stringValue ?? ""
                let message = run?["status"]["message"].stringValue ?? ""
                if ["Error", "Failed"].contains(phase) { return .reported("AnalysisRun \(phase): \(message)") }
                if !phase.isEmpty { return .silent("AnalysisRun \(phase): \(message)") }
                return nil
            default:
                return nil
            }
        }
        let pending = admitted.filter { verdicts[$0.file] == nil }
        let heard = await eventually(timeout: .seconds(15), every: .milliseconds(200)) {
            for e in pending {
                guard case .reported? = await report(e) else { return false }
            }
            return true
        }
        for e in pending { verdicts[e.file] = await report(e) ?? .silent("no condition, no status") }
        _ = heard

        var failures = 0
        for e in entries {
            var problem: String?
            switch verdicts[e.file] ?? .silent("no verdict") {
            case .rejected(let m), .reported(let m):
                if !e.names(m) { problem = "\(e.file): expected a message naming \(e.expect), got \(verdicts[e.file]!)" }
            case .silent(let m):
                problem = "\(e.file): nothing said (\(m))"
            }
            if let gap = Self.knownGaps[e.file] {
                withKnownIssue("\(gap)") { if let problem { Issue.record("\(problem)") } }
            } else if let problem {
                failures += 1
                Issue.record("\(problem)")
            }
        }
        let rejected = verdicts.values.filter { if case .rejected = $0 { true } else { false } }.count
        print("BadInputTests: \(rejected) rejected at admission, \(entries.count - rejected) reported by the operator, \(failures) unreported")

        // The operator is alive and still delivers a valid Canary.
        #expect(op.isRunning, "the operator exited: \(op.ending)\n\(op.log.suffix(3000))")
        #expect(!op.log.contains("Fatal error"), "\(op.log.suffix(3000))")
        try await cluster.createDeployment("healthy")
        try await cluster.createCanary(FaultCluster.canary("healthy", namespace: ns))
        let initialized = await eventually(timeout: .seconds(20)) { await cluster.phase("healthy") == "Initialized" }
        #expect(initialized, "\(op.log.suffix(3000))")

        op.terminate()
        #expect(await op.waitForExit(timeout: .seconds(15)) == 0)
        await cluster.stop()
    }
}

/// Two Canaries that deliver the same Deployment would both own `<target>-primary` and the
/// Services, each rewriting what the other wrote: the second one must be refused, naming the first.
@Suite("Fault tolerance: contradictory Canaries", .serialized)
struct ContradictoryCanaryTests {
    @Test("a second Canary for a Deployment already delivered is reported, and the first keeps working")
    func sameTargetTwice() async throws {
        let cluster = try await FaultCluster.start(readyDelay: .milliseconds(20))
        let ns = cluster.namespace
        cluster.prometheus.setScript { _ in .value(99.9) }
        try await cluster.createDeployment("uniform")
        try await cluster.createCanary(FaultCluster.canary("uniform", namespace: ns))
        let op = try await InProcessOperator(cluster: cluster, metricQueryTimeout: 2)
        let first = await op.drive { await cluster.phase("uniform") == "Initialized" }
        #expect(first)
        var second = FaultCluster.canary("uniform", namespace: ns)
        second[path: ["metadata", "name"]] = "uniform-again"
        try await cluster.createCanary(second)
        let reported = await op.drive(timeout: .seconds(10)) {
            let conditions = await cluster.canaryStatus("uniform-again")["conditions"].arrayValue ?? []
            return conditions.contains { $0["type"] == "SpecValid" && $0["status"] == "False" }
        }
        let status = await cluster.canaryStatus("uniform-again")
        #expect(reported, "the second Canary for Deployment uniform was not refused: \(status)")
        let message = status["conditions"].arrayValue?.first { $0["type"] == "SpecValid" }?["message"].stringValue ?? ""
        #expect(message.contains("uniform"), "\(message)")
        // The first is untouched and still releases.
        try await cluster.setImage("uniform", "app:2")
        let released = await op.drive(timeout: .seconds(20)) { await cluster.phase("uniform") == "Succeeded" }
        #expect(released)
        await op.stop()
        await cluster.stop()
    }
}

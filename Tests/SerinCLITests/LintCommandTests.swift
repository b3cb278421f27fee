import Foundation
import Testing

@Suite struct LintCommandTests {
    /// Writes files into a fresh directory and returns their paths.
    func files(_ contents: [String: String]) throws -> (dir: String, paths: [String]) {
        let dir = NSTemporaryDirectory() + "serin-lint-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var paths: [String] = []
        for (name, text) in contents.sorted(by: { $0.key < $1.key }) {
            let p = dir + "/" + name
            try text.write(toFile: p, atomically: true, encoding: .utf8)
            paths.append(p)
        }
        return (dir, paths)
    }

    @Test func theExamplesLintClean() async throws {
        let dir = repoRoot.appendingPathComponent("examples").path
        let r = await runCLI(["lint", dir])
        #expect(r.code == 0)
        #expect(r.output.contains("seed-canary.yaml: document 1, Canary microservices/user-service-canary: ok"))
        #expect(r.output.contains("seed-analysistemplate.yaml: document 1, AnalysisTemplate microservices/order-service-analysis: ok"))
        #expect(r.output.contains("seed-rollout-bluegreen.yaml: document 1, Rollout microservices/order-service-rollout: ok"))
        #expect(r.output.hasSuffix("3 files, 3 documents: 0 errors\n"))
    }

    @Test func canaryErrorsNameFileDocumentFieldAndFix() async throws {
        let bad = try seedCanaryYAML().replacingOccurrences(of: "stepWeight: 5", with: "stepWeight: 60")
        let (dir, paths) = try files(["release.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: user-service}
            ---
            \(bad)
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = await runCLI(["lint", paths[0]])
        #expect(r.code == 1)
        #expect(r.output.contains("\(paths[0]): document 2, Canary microservices/user-service-canary: error: spec.analysis.stepWeight: 60 is greater than maxWeight 50\n    fix: make stepWeight less than or equal to maxWeight"))
        // The API server's CEL rule on spec.analysis says the same; the operator's words, on the
        // exact field, stand for both.
        #expect(r.output.hasSuffix("1 file, 2 documents (1 not Serin's, skipped): 1 error\n"))
    }

    @Test func typeErrorsAndForeignAPIVersions() async throws {
        let flagger = try seedCanaryYAML()
            .replacingOccurrences(of: "serin.dev/v1alpha1", with: "flagger.app/v1beta1")
            .replacingOccurrences(of: "threshold: 10", with: "threshold: ten")
        let (dir, paths) = try files(["flagger.yaml": flagger])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = await runCLI(["lint", paths[0]])
        #expect(r.code == 1)
        #expect(r.output.contains("error: apiVersion: flagger.app/v1beta1 is the Flagger API\n    fix: change apiVersion to serin.dev/v1alpha1; the fields stay the same"))
        // The server refuses the field too; the operator's words on it are the ones shown, once.
        #expect(r.output.contains("error: spec.analysis.threshold: expected Int"))
        #expect(!r.output.contains("in body must be of type integer"))
        #expect(r.output.contains("2 errors"))
    }

    @Test func conditionParseErrorsShowThePosition() async throws {
        let template = try repoFile("examples/seed-analysistemplate.yaml")
            .replacingOccurrences(of: "successCondition: result[0] >= 0.95", with: "successCondition: result[0] >= ")
            .replacingOccurrences(of: "{service=\"{{args.service-name}}\",status", with: "{service=\"{{args.servce-name}}\",status")
        let (dir, paths) = try files(["t.yaml": template])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = await runCLI(["lint", paths[0]])
        #expect(r.code == 1)
        // YAML drops the trailing space: the expression is `result[0] >=` and ends at position 13.
        let expected = "document 1, AnalysisTemplate microservices/order-service-analysis: error: spec.metrics[0].successCondition: "
            + "metric \"success-rate\": unexpected end of expression at position 13\n"
            + "      result[0] >=\n"
            + String(repeating: " ", count: 6 + 12) + "^\n"
            + "    fix: write a condition over result, e.g. result[0] >= 0.95"
        #expect(r.output.contains(expected))
        #expect(r.output.contains("error: spec.args: metric \"success-rate\": uses {{args.servce-name}} but the template declares no argument \"servce-name\""))
    }

    @Test func metricTemplatesAndRunsAreChecked() async throws {
        let (dir, paths) = try files(["m.yaml": """
            apiVersion: serin.dev/v1alpha1
            kind: MetricTemplate
            metadata: {name: latency, namespace: test}
            spec:
              provider: {type: signoz, address: prometheus:9090}
              query: histogram_quantile(0.99, rate(x{ns="{{ namespace }}", t="{{ variables.tier }}", w="{{ windw }}"}[1m]))
            ---
            apiVersion: serin.dev/v1alpha1
            kind: AnalysisRun
            metadata: {name: run-1, namespace: test}
            spec:
              metrics:
              - name: errors
                interval: 1x
                successCondition: result[0] < 0.01
                provider: {prometheus: {query: up}}
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = await runCLI(["lint", "-q", paths[0]])
        #expect(r.code == 1)
        #expect(!r.output.contains(": ok"))
        #expect(r.output.contains("document 1, MetricTemplate test/latency: error: spec.provider.address: \"prometheus:9090\" is not an http(s) URL"))
        #expect(r.output.contains("document 1, MetricTemplate test/latency: error: spec.provider.type: provider type \"signoz\" is not supported by Serin (prometheus, datadog, newrelic, dynatrace, splunk, stackdriver, keptn, externalmetrics, graphite, influxdb, cloudwatch)"))
        #expect(r.output.contains("document 2, AnalysisRun test/run-1: error: spec.metrics[0].interval: metric \"errors\": invalid duration \"1x\"\n    fix: write a duration such as 60s or 5m"))
        // The unknown variable is reported once the provider is fixed (the check stops at the first problem).
        let fixed = try String(contentsOfFile: paths[0], encoding: .utf8).replacingOccurrences(of: "type: signoz", with: "type: prometheus")
        try fixed.write(toFile: paths[0], atomically: true, encoding: .utf8)
        let again = await runCLI(["lint", "-q", paths[0]])
        #expect(again.output.contains("error: spec.query: unknown template variable \"windw\""))
        #expect(!again.output.contains("variables.tier"))
    }

    @Test func canaryMetricUsesATemplateFromTheSameRun() async throws {
        let (dir, paths) = try files(["c.yaml": """
            apiVersion: serin.dev/v1alpha1
            kind: MetricTemplate
            metadata: {name: latency, namespace: test}
            spec:
              provider: {type: prometheus, address: "http://prometheus:9090"}
              query: rate(x{t="{{ variables.tier }}"}[{{ interval }}])
            ---
            apiVersion: serin.dev/v1alpha1
            kind: Canary
            metadata: {name: podinfo, namespace: test}
            spec:
              provider: gatewayapi
              targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
              service: {port: 9898, gatewayRefs: [{name: public}]}
              analysis:
                interval: 30s
                stepWeight: 10
                maxWeight: 50
                metrics:
                - name: latency
                  templateRef: {name: latency}
                  thresholdRange: {max: 500}
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = await runCLI(["lint", paths[0]])
        #expect(r.code == 1)
        #expect(r.output.contains("document 2, Canary test/podinfo: error: spec.analysis.metrics[0]: unknown template variable \"variables.tier\""))
        let fixed = try String(contentsOfFile: paths[0], encoding: .utf8)
            .replacingOccurrences(of: "thresholdRange: {max: 500}", with: "thresholdRange: {max: 500}\n      templateVariables: {tier: web}")
        try fixed.write(toFile: paths[0], atomically: true, encoding: .utf8)
        let again = await runCLI(["lint", paths[0]])
        #expect(again.code == 0)
        #expect(again.output.contains("document 2, Canary test/podinfo: ok"))
    }

    @Test func rolloutsGetTheOperatorsRolloutValidation() async throws {
        let (dir, paths) = try files(["ro.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: Rollout
            metadata: {name: web, namespace: apps}
            spec:
              replicas: 3
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec: {containers: [{name: web, image: web:1}]}
              strategy:
                canary:
                  steps:
                  - setWeight: 150
                  - pause: {duration: 1x}
                  - analysis: {templates: [{templateName: rate}]}
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = await runCLI(["lint", paths[0]])
        #expect(r.code == 1)
        let subject = "\(paths[0]): document 1, Rollout apps/web"
        #expect(r.output.contains("\(subject): error: apiVersion: argoproj.io/v1alpha1 is the Argo Rollouts API"))
        #expect(r.output.contains("\(subject): error: spec.strategy.canary.steps[0].setWeight: 150 is outside 0..100\n    fix: "))
        #expect(r.output.contains("\(subject): error: spec.strategy.canary.steps[1].pause.duration: \"1x\" is not a duration"))
        #expect(r.output.contains("\(subject): warning: spec.strategy.canary.steps[2].analysis.templates[0].templateName: AnalysisTemplate rate is not among the linted files"))
        #expect(r.output.hasSuffix("1 file, 1 document: 3 errors, 1 warning\n"))
    }

    @Test func aSerinKindWithoutAPIVersionIsCheckedNotSkipped() async throws {
        let noVersion = try seedCanaryYAML().replacingOccurrences(of: "apiVersion: serin.dev/v1alpha1\n", with: "")
        let (dir, paths) = try files(["c.yaml": noVersion])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = await runCLI(["lint", paths[0]])
        #expect(r.code == 1)
        #expect(r.output.contains("Canary microservices/user-service-canary: error: apiVersion: is missing\n    fix: add apiVersion: serin.dev/v1alpha1"))
        #expect(r.output.hasSuffix("1 file, 1 document: 1 error\n"))
    }

    @Test func invalidYAMLAndMissingFiles() async throws {
        let (dir, paths) = try files(["broken.yaml": "kind: Canary\nmetadata: {name: x\nspec: [\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = await runCLI(["lint", paths[0]])
        #expect(r.code == 1)
        #expect(r.output.contains("\(paths[0]): error: not valid YAML"))
        let missing = await runCLI(["lint", dir + "/nope.yaml"])
        #expect(missing.code == 1)
        #expect(missing.errors.contains("nope.yaml: no such file"))
    }
    /// A Rollout of the seed shape with `extra` appended to `strategy.canary` (indented to it).
    func canaryRollout(_ canary: String) -> String {
        """
        apiVersion: serin.dev/v1alpha1
        kind: Rollout
        metadata: {name: web, namespace: apps}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: web, image: web:1}]}
          strategy:
            canary:
        \(canary.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n"))
        """
    }

    @Test func unknownFieldsAreRefusedAsTheServerRefusesThem() async throws {
        let (dir, _) = try files(["ro.yaml": canaryRollout("""
            stepz:
            - setWeight: 20
            - pause: {duration: 30s}
            """), "c.yaml": try seedCanaryYAML().replacingOccurrences(of: "stepWeight: 5", with: "stepWeight: 5\n    colour: blue")])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = await runCLI(["lint", "-q", dir])
        #expect(r.code == 1)
        #expect(r.output.contains("Rollout apps/web: error: spec.strategy.canary.stepz: unknown field \"spec.strategy.canary.stepz\"\n    fix: did you mean steps?"))
        #expect(r.output.contains("Canary microservices/user-service-canary: error: spec.analysis.colour: unknown field \"spec.analysis.colour\"\n    fix: remove it"))
    }

    @Test func alertProvidersAndExperimentsAreChecked() async throws {
        let (dir, paths) = try files(["a.yaml": """
            apiVersion: serin.dev/v1alpha1
            kind: AlertProvider
            metadata: {name: on-call, namespace: apps}
            spec: {type: victorops, address: "hooks.example.com/x", chanel: ops}
            ---
            apiVersion: serin.dev/v1alpha1
            kind: Experiment
            metadata: {name: exp, namespace: apps}
            spec: {templates: [{name: baseline}]}
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = await runCLI(["lint", "-q", paths[0]])
        #expect(r.code == 1)
        #expect(r.output.contains("AlertProvider apps/on-call: error: spec.type: \"victorops\" is not a provider type\n    fix: use one of slack, msteams, discord, generic, rocket, googlechat, pagerduty, opsgenie, telegram, email, alertmanager"))
        #expect(r.output.contains("AlertProvider apps/on-call: error: spec.address: is not an http(s) URL"))
        #expect(r.output.contains("AlertProvider apps/on-call: error: spec.chanel: unknown field \"spec.chanel\"\n    fix: did you mean channel?"))
        // Experiments are served: the operator's own checks name the field and the fix.
        #expect(r.output.contains("Experiment apps/exp: error: spec.templates[0].template: is missing\n    fix: write the pod template"), "\(r.output)")
        #expect(r.output.contains("Experiment apps/exp: error: spec.templates[0].selector: is missing"), "\(r.output)")
        #expect(!r.output.contains("check the spelling"))
    }

    @Test func conditionNamesAreChecked() async throws {
        let template = try repoFile("examples/seed-analysistemplate.yaml")
            .replacingOccurrences(of: "successCondition: result[0] >= 0.95", with: "successCondition: resutl[0] >= 0.95 && lenn(result) > 0")
        let (dir, paths) = try files(["t.yaml": template])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = await runCLI(["lint", "-q", paths[0]])
        #expect(r.code == 1)
        #expect(r.output.contains("error: spec.metrics[0].successCondition: metric \"success-rate\": unknown name \"resutl\"\n      resutl[0] >= 0.95 && lenn(result) > 0\n      ^\n    fix: did you mean result?"))
        #expect(r.output.contains("error: spec.metrics[0].successCondition: metric \"success-rate\": unknown function \"lenn\""))
        #expect(r.output.contains("fix: did you mean len?"))
    }

    @Test func unsupportedProvidersAndRoutersAreNamed() async throws {
        let canary = try seedCanaryYAML().replacingOccurrences(of: "spec:\n", with: "spec:\n  provider: knative\n")
        let (dir, _) = try files(["c.yaml": canary, "t.yaml": """
            apiVersion: serin.dev/v1alpha1
            kind: AnalysisTemplate
            metadata: {name: load, namespace: apps}
            spec:
              metrics:
              - name: load
                provider:
                  plugin:
                    argoproj-labs/sample-prometheus:
                      address: http://prometheus.local
                      query: vector(1)
            """, "ro.yaml": canaryRollout("""
            canaryService: web-canary
            stableService: web-stable
            trafficRouting:
              plugins: {example.com/router: {}}
            steps:
            - setWeight: 20
            """)])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = await runCLI(["lint", "-q", dir])
        #expect(r.code == 1)
        #expect(r.output.contains("error: spec.provider: the knative provider is not supported by Serin yet"))
        #expect(r.output.contains("AnalysisTemplate apps/load: error: spec.metrics[0].provider.plugin: metric \"load\": the plugin metric provider is not supported by Serin yet; use one of prometheus, compare, web, job, datadog"))
        #expect(!r.output.contains("no provider ("))
        #expect(r.output.contains("Rollout apps/web: error: spec.strategy.canary.trafficRouting: router plugins.example.com/router is not supported by Serin"))
        // A Canary naming no provider runs with the operator's --provider.
        let (dir2, plain) = try files(["c.yaml": try seedCanaryYAML()])
        defer { try? FileManager.default.removeItem(atPath: dir2) }
        let knative = await runCLI(["lint", "-q", "--provider", "knative", plain[0]])
        #expect(knative.code == 1)
        #expect(knative.output.contains("error: spec.provider: the knative provider is not supported by Serin yet"))
        let osm = await runCLI(["lint", "-q", "--provider", "osm", plain[0]])
        #expect(osm.code == 0, "\(osm.output)")
    }

    @Test func validShapesOfTheOriginalsLintClean() async throws {
        // (a) Flagger ignores maxWeight when stepWeights is set.
        let steps = try seedCanaryYAML().replacingOccurrences(of: "stepWeight: 5", with: "stepWeights: [10, 40, 80]")
        // (c) Argo excludes only setWeight, pause, experiment and analysis from sharing a step.
        let rollout = canaryRollout("""
            canaryService: web-canary
            stableService: web-stable
            trafficRouting:
              managedRoutes: [{name: beta}]
              istio: {virtualService: {name: web, routes: [primary]}}
            steps:
            - setCanaryScale: {replicas: 1}
              setHeaderRoute: {name: beta, match: [{headerName: x-beta, headerValue: {exact: "yes"}}]}
            - setWeight: 20
            - pause: {duration: 30s}
            """)
        // (d) expr-lang predicates: `{ … }` with `#` and `.field`.
        let template = try repoFile("examples/seed-analysistemplate.yaml")
            .replacingOccurrences(of: "successCondition: result[0] >= 0.95", with: "successCondition: \"all(result, {# >= 0.95}) && any(result, { .value > 1 } ) || true\"")
        let (dir, _) = try files(["c.yaml": steps, "ro.yaml": rollout, "t.yaml": template])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = await runCLI(["lint", "-q", dir])
        #expect(r.code == 0, "\(r.output)")
        #expect(r.output.hasSuffix("3 files, 3 documents: 0 errors\n"))
    }

    /// Flagger's CRD requires spec.analysis; a Canary without it would be promoted unchecked.
    @Test func aCanaryWithoutAnalysisIsRefused() async throws {
        let bare = """
            apiVersion: serin.dev/v1alpha1
            kind: Canary
            metadata: {name: podinfo, namespace: test}
            spec:
              targetRef: {apiVersion: apps/v1, kind: Deployment, name: podinfo}
              service: {port: 9898}
            """
        let (dir, _) = try files(["z.yaml": bare])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = await runCLI(["lint", "-q", dir])
        #expect(r.code == 1)
        #expect(r.output.contains("spec.analysis: is missing"), "\(r.output)")
    }

    @Test func aSecretArgumentUsedOnlyInOAuth2IsNotAMissingArgument() async throws {
        // (b) The argument is declared and Secret-sourced: no "missing argument" for it. Serin
        // does not measure with oauth2, and says so.
        let (dir, paths) = try files(["t.yaml": """
            apiVersion: serin.dev/v1alpha1
            kind: AnalysisTemplate
            metadata: {name: success-rate, namespace: apps}
            spec:
              args:
              - name: service-name
              - name: oauthSecret
                valueFrom: {secretKeyRef: {name: oauth-secret, key: secret}}
              metrics:
              - name: success-rate
                interval: 5m
                successCondition: result[0] >= 0.95
                provider:
                  prometheus:
                    address: http://prometheus.example.com:9090
                    authentication:
                      oauth2:
                        tokenUrl: https://my-oauth2-provider/token
                        clientId: my-client-id
                        clientSecret: "{{ args.oauthSecret }}"
                    query: sum(rate(requests{service="{{args.service-name}}"}[5m]))
            """])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = await runCLI(["lint", "-q", paths[0]])
        #expect(!r.output.contains("missing argument"))
        #expect(!r.output.contains("oauthSecret"))
        // oauth2 and sigv4 are measured now; sigv4's roleArn is refused by name.
        #expect(r.output.hasSuffix("1 file, 1 document: 0 errors\n"), "\(r.output)")
        let (dir2, paths2) = try files(["t.yaml": try String(contentsOfFile: paths[0], encoding: .utf8)
            .replacingOccurrences(of: "authentication:\n", with: "authentication:\n          sigv4: {region: eu-west-1}\n"),
                                         "u.yaml": try String(contentsOfFile: paths[0], encoding: .utf8)
            .replacingOccurrences(of: "authentication:\n", with: "authentication:\n          sigv4: {region: eu-west-1, roleArn: 'arn:aws:iam::1:role/amp'}\n")])
        defer { try? FileManager.default.removeItem(atPath: dir2) }
        let s = await runCLI(["lint", "-q", paths2[0]])
        #expect(s.output.hasSuffix("1 file, 1 document: 0 errors\n"), "\(s.output)")
        let u = await runCLI(["lint", "-q", paths2[1]])
        #expect(u.output.contains("spec.metrics[0].provider.prometheus.authentication.sigv4.roleArn"), "\(u.output)")
        #expect(u.output.contains("is not supported by Serin yet"), "\(u.output)")
    }

    @Test func namesAreCheckedAsTheServerChecksThem() async throws {
        let run = try seedCanaryYAML().replacingOccurrences(of: "name: user-service-canary", with: "name: User-Service")
        let (dir, paths) = try files(["c.yaml": run])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = await runCLI(["lint", "-q", paths[0]])
        #expect(r.code == 1)
        #expect(r.output.contains("error: metadata.name: Invalid value: \"User-Service\": a lowercase RFC 1123 subdomain"))
    }
}

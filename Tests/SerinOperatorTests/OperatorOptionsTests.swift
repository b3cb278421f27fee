import Testing
@testable import SerinOperator

@Suite struct OperatorOptionsTests {
    @Test func defaultsAreValid() {
        #expect(OperatorOptions().validate().isEmpty)
    }

    @Test func badValuesNameTheFlagAndTheFix() {
        var o = OperatorOptions()
        o.workers = 0
        o.renewDeadlineSeconds = 20
        o.logFormat = "xml"
        o.metricsAddress = "8080"
        let fields = o.validate().map(\.field)
        #expect(fields == ["--workers", "--renew-deadline", "--log-format", "--metrics-address"])
        #expect(o.validate()[1].description.contains("must be shorter than --lease-duration"))
    }

    @Test func hostPortParsing() throws {
        let all = try OperatorOptions.hostPort(":8080")
        #expect(all.host == "0.0.0.0" && all.port == 8080)
        let loop = try OperatorOptions.hostPort("127.0.0.1:0")
        #expect(loop.host == "127.0.0.1" && loop.port == 0)
        let v6 = try OperatorOptions.hostPort("[::1]:9")
        #expect(v6.host == "::1" && v6.port == 9)
        let operation1 = { try OperatorOptions.hostPort("localhost") }
        #expect(throws: OptionsError.self, performing: operation1)
        let operation2 = { try OperatorOptions.hostPort(":99999") }
        #expect(throws: OptionsError.self, performing: operation2)
    }
}

@Suite struct MetricsFlagsTests {
    @Test func metricsProviderAndLabelsAreChecked() {
        var o = OperatorOptions()
        o.metricsProvider = "kubernetes"
        o.builtinMetricLabels = "kubernetes:status=status_code,service=app"
        #expect(o.validate().isEmpty)
        o.metricsProvider = "consul"
        o.builtinMetricLabels = "mesh9:status=code"
        let errors = o.validate()
        #expect(errors.map(\.field) == ["--metrics-provider", "--builtin-metric-labels"])
        #expect(errors.first?.fix.contains("kubernetes") == true)
        #expect(errors.last?.fix.contains("unknown provider \"mesh9\"") == true)
    }
}

@Suite struct ShardingOptionsTests {
    @Test func withoutAnInstanceIDOnlyUnlabelledObjectsAreHandled() {
        let o = OperatorOptions()
        #expect(o.ownSelector == "!serin.dev/controller-instance-id")
        #expect(o.effectiveLeaseName == "serin-operator")
    }

    @Test func anInstanceIDSelectsItsObjectsAndNamesItsLease() {
        var o = OperatorOptions()
        o.instanceID = "blue"
        o.labelSelector = "team=payments"
        #expect(o.ownSelector == "serin.dev/controller-instance-id=blue,team=payments")
        #expect(o.effectiveLeaseName == "serin-operator-blue")
        o.leaseName = "mine"
        o.leaseNameGiven = true
        #expect(o.effectiveLeaseName == "mine")
        #expect(o.validate().isEmpty)
    }

    @Test func badShardingValuesNameTheFlag() {
        var o = OperatorOptions()
        o.instanceID = "not a label!"
        o.labelSelector = "team in (a"
        #expect(o.validate().map(\.field) == ["--instance-id", "--label-selector"])
    }
}

import Analysis
import Foundation
import KubeCore
import SerinAPI
import SerinTestApp
import Testing

/// Argo's Prometheus `authentication.basicAuth`, its values from args read from a Secret
/// (argo/197): the query carries them as Basic credentials, and no message shows them.
@Suite struct PrometheusBasicAuthTests {
    static let answer = #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.99"]}]}}"#

    func run(_ server: CannedServer, basicAuth: String) async throws -> AnalysisMeasurement {
        let spec = try JSONValue(yaml: """
            args:
            - {name: user}
            - {name: pass}
            metrics:
            - name: rate
              successCondition: result[0] >= 0.95
              provider:
                prometheus:
                  address: \(server.baseURL)
                  query: up
                  authentication:
                    basicAuth: \(basicAuth)
            """).decode(as: AnalysisRunSpec.self)
        let args = ["user": "prom-reader", "pass": "b4sic-s3cret"]
        let metric = try AnalysisArguments.substitute(spec.metrics[0], args: args)
        var credentials = MetricCredentials()
        credentials.extraSecrets = Array(args.values)
        let client = PrometheusClient()
        let m = await AnalysisMeasurer(client: client).measure(metric, credentials: credentials)
        try await client.shutdown()
        return m
    }

    @Test func theQueryCarriesBasicCredentials() async throws {
        let server = try await CannedServer.start(routes: ["/api/v1/query": SmallHTTPResponse(contentType: "application/json", body: Self.answer)])
        let m = try await run(server, basicAuth: #"{username: "{{ args.user }}", password: "{{ args.pass }}"}"#)
        let requests = server.requests
        await server.stop()
        #expect(m.phase == .successful, "\(m)")
        let expected = "Basic " + Data("prom-reader:b4sic-s3cret".utf8).base64EncodedString()
        let sent = requests.last?.header("Authorization")
        #expect(sent == expected)
    }

    @Test func aRefusalNamesTheServerNotTheCredentials() async throws {
        let server = try await CannedServer.start(fallback: SmallHTTPResponse(status: 401, body: "bad credentials for prom-reader\n"))
        let m = try await run(server, basicAuth: #"{username: "{{ args.user }}", password: "{{ args.pass }}"}"#)
        await server.stop()
        #expect(m.phase == .error)
        let message = m.message ?? ""
        #expect(message.contains("401"), "\(message)")
        #expect(!message.contains("prom-reader") && !message.contains("b4sic-s3cret"), "\(message)")
    }

    @Test func aUsernameIsRequired() async throws {
        let server = try await CannedServer.start(routes: ["/api/v1/query": SmallHTTPResponse(contentType: "application/json", body: Self.answer)])
        let m = try await run(server, basicAuth: #"{password: "{{ args.pass }}"}"#)
        let requests = server.requests
        await server.stop()
        #expect(m.phase == .error)
        #expect(m.message?.contains("authentication.basicAuth.username is required") == true, "\(m)")
        #expect(requests.isEmpty)
    }
}

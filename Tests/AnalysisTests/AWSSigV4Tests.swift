import Foundation
import KubeCore
import SerinAPI
import SerinTestApp
import Testing
@testable import Analysis

/// SigV4 against the AWS Signature Version 4 test suite's vectors, and CloudWatch's
/// GetMetricData (AWS JSON 1.0) request and answers against a canned server.
@Suite struct AWSSigV4Tests {
    static let suiteKeys = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    /// 2015-08-30T12:36:00Z, the suite's date.
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)

    static func authorization(_ headers: [(String, String)]) -> String? {
        headers.first { $0.0 == "Authorization" }?.1
    }

    @Test("the suite's get-vanilla, get-vanilla-query-order-key-case and post-vanilla signatures")
    func testSuiteVectors() throws {
        let signer = AWSSigV4(region: "us-east-1", service: "service")
        let prefix = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature="
        let cases: [(String, String, String)] = [
            ("GET", "https://example.amazonaws.com/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
            ("GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
            ("POST", "https://example.amazonaws.com/", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        ]
        for (method, url, signature) in cases {
            let headers = try signer.sign(method: method, url: url, headers: [], body: [], credentials: Self.suiteKeys, date: Self.suiteDate)
            #expect(Self.authorization(headers) == prefix + signature, "\(method) \(url)")
            let dated = headers.contains { $0.0 == "X-Amz-Date" && $0.1 == "20150830T123600Z" }
            #expect(dated)
        }
    }

    @Test("a session token is sent and signed; a changed body changes the signature; the description hides the secret")
    func tokenAndBody() throws {
        let signer = AWSSigV4(region: "eu-west-1", service: "aps")
        var keys = Self.suiteKeys
        keys.sessionToken = "IQoJb3JpZ2luX2VjEXAMPLETOKEN"
        let a = try signer.sign(method: "POST", url: "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/query",
                                headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array("query=up".utf8),
                                credentials: keys, date: Self.suiteDate)
        let auth = try #require(Self.authorization(a))
        #expect(auth.contains("Credential=AKIDEXAMPLE/20150830/eu-west-1/aps/aws4_request"))
        #expect(auth.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token"))
        let tokenSent = a.contains { $0.0 == "X-Amz-Security-Token" && $0.1 == "IQoJb3JpZ2luX2VjEXAMPLETOKEN" }
        #expect(tokenSent)
        let b = try signer.sign(method: "POST", url: "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/query",
                                headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array("query=down".utf8),
                                credentials: keys, date: Self.suiteDate)
        #expect(Self.authorization(b) != auth)
        #expect(!"\(keys)".contains("wJalr") && !"\(keys)".contains("IQoJ"))
    }

    @Test("credentials: the Secret's keys first, then the environment; none names both places")
    func credentialSources() throws {
        let fromSecret = try AWSCredentials.resolve(secret: ["aws_access_key_id": "AKIAS", "aws_secret_access_key": "s3cr3t"],
                                                    environment: ["AWS_ACCESS_KEY_ID": "AKIAE", "AWS_SECRET_ACCESS_KEY": "e"], provider: "cloudwatch")
        #expect(fromSecret.accessKeyID == "AKIAS")
        let fromEnv = try AWSCredentials.resolve(secret: [:], environment: ["AWS_ACCESS_KEY_ID": "AKIAE", "AWS_SECRET_ACCESS_KEY": "e",
                                                                            "AWS_SESSION_TOKEN": "tok"], provider: "cloudwatch")
        #expect(fromEnv.accessKeyID == "AKIAE" && fromEnv.sessionToken == "tok")
        var message = ""
        do { _ = try AWSCredentials.resolve(secret: [:], environment: ["AWS_ROLE_ARN": "arn:aws:iam::1:role/r"], provider: "cloudwatch") } catch {
            message = "\(error)"
        }
        #expect(message.contains("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"))
        #expect(message.contains("web identity (IRSA) role credentials are not supported by Serin yet"))
    }

    // MARK: - CloudWatch

    static let flaggerQuery = """
    [
      {"Id": "e1", "Expression": "m1 / m2", "Label": "5xx rate"},
      {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "MyCluster", "MetricName": "ErrorCount",
        "Dimensions": [{"Name": "appname", "Value": "podinfo"}]}, "Period": 60, "Stat": "Sum", "Unit": "Count"}, "ReturnData": false},
      {"Id": "m2", "MetricStat": {"Metric": {"Namespace": "MyCluster", "MetricName": "RequestCount",
        "Dimensions": [{"Name": "appname", "Value": "podinfo"}]}, "Period": 60, "Stat": "Sum", "Unit": "Count"}, "ReturnData": false}
    ]
    """

    func cloudWatch(_ response: SmallHTTPResponse, secret: [String: String] = ["aws_access_key_id": "AKIDEXAMPLE",
                                                                              "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"],
                    region: String? = "us-west-2") async throws -> (Result<SingleValue, any Error>, [SmallHTTPRequest]) {
        let server = try await CannedServer.start(routes: ["/": response])
        let prometheus = PrometheusClient()
        var provider = CloudWatchProvider(clients: MetricClients(prometheus: prometheus))
        provider.environment = [:]
        provider.now = { Self.suiteDate }
        let endpoint = MetricEndpoint(address: server.baseURL, credentials: MetricCredentials(secretData: secret), timeout: 5,
                                      window: 60, region: region)
        let outcome: Result<SingleValue, any Error>
        do { outcome = .success(try await provider.query(Self.flaggerQuery, endpoint: endpoint).singleValue()) } catch { outcome = .failure(error) }
        let requests = server.requests
        try await prometheus.shutdown()
        await server.stop()
        return (outcome, requests)
    }

    static func json(_ s: String, status: Int = 200) -> SmallHTTPResponse {
        SmallHTTPResponse(status: status, contentType: "application/x-amz-json-1.0", body: s)
    }

    @Test("cloudwatch: GetMetricData in AWS JSON 1.0, signed for monitoring in the template's region; the newest value")
    func cloudWatchRequest() async throws {
        let answer = #"{"MetricDataResults":[{"Id":"e1","Label":"5xx rate","StatusCode":"Complete","Timestamps":[1440938100,1440938040],"Values":[0.25,0.5]}],"Messages":[]}"#
        let (outcome, requests) = try await cloudWatch(Self.json(answer))
        guard case .success(.value(let v)) = outcome else { Issue.record("\(outcome)"); return }
        #expect(v == 0.25)
        let r = try #require(requests.first)
        #expect(r.method == "POST")
        let header = { (name: String) in r.headers.first { $0.0.lowercased() == name }?.1 }
        #expect(header("x-amz-target") == "GraniteServiceVersion20100801.GetMetricData")
        #expect(header("content-type") == "application/x-amz-json-1.0")
        #expect(header("x-amz-date") == "20150830T123600Z")
        let auth = try #require(header("authorization"))
        #expect(auth.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-west-2/monitoring/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="))
        // The signature is the one the request as received gives.
        let resigned = try AWSSigV4(region: "us-west-2", service: "monitoring").sign(
            method: "POST", url: "http://\(header("host") ?? "")/",
            headers: [("Content-Type", header("content-type") ?? ""), ("X-Amz-Target", header("x-amz-target") ?? "")],
            body: r.body, credentials: Self.suiteKeys, date: Self.suiteDate)
        #expect(Self.authorization(resigned) == auth)
        let body = try JSONValue(parsing: r.body)
        #expect(body["StartTime"] == .int(1_440_938_160 - 600) && body["EndTime"] == .int(1_440_938_160))
        #expect(body["MaxDatapoints"] == 20)
        #expect(body["MetricDataQueries"][1]["MetricStat"]["Metric"]["Dimensions"][0] == ["Name": "appname", "Value": "podinfo"])
    }

    @Test("cloudwatch: no values is no data; AWS errors and throttling are named; no region or keys says so before sending")
    func cloudWatchEdges() async throws {
        let (empty, _) = try await cloudWatch(Self.json(#"{"MetricDataResults":[{"Id":"e1","StatusCode":"Complete","Timestamps":[],"Values":[]}]}"#))
        guard case .success(.noData) = empty else { Issue.record("\(empty)"); return }
        let (denied, _) = try await cloudWatch(Self.json(#"{"__type":"com.amazon.coral.service#AccessDeniedException","message":"User is not authorized to perform: cloudwatch:GetMetricData"}"#, status: 400))
        guard case .failure(let e) = denied else { Issue.record("\(denied)"); return }
        #expect("\(e)" == "CloudWatch answered HTTP 400 AccessDeniedException: User is not authorized to perform: cloudwatch:GetMetricData")
        let (throttled, _) = try await cloudWatch(Self.json(#"{"__type":"Throttling","message":"Rate exceeded"}"#, status: 400))
        guard case .failure(let t) = throttled else { Issue.record("\(throttled)"); return }
        #expect("\(t)".contains("CloudWatch is rate limiting the requests"))
        let (noRegion, sent) = try await cloudWatch(Self.json("{}"), region: nil)
        guard case .failure(let r) = noRegion else { Issue.record("\(noRegion)"); return }
        #expect("\(r)".contains("needs the template's provider.region"))
        let (noKeys, sent2) = try await cloudWatch(Self.json("{}"), secret: [:])
        guard case .failure(let k) = noKeys else { Issue.record("\(noKeys)"); return }
        #expect("\(k)".contains("no AWS credentials"))
        #expect(sent.isEmpty && sent2.isEmpty)
    }

    @Test("cloudWatch (Argo): settings checked, camelCase fields become the API's, results readable by conditions")
    func cloudWatchArgo() throws {
        let settings: JSONValue = ["interval": "30m", "metricDataQueries": [
            ["id": "rate", "expression": "errors / requests"],
            ["id": "errors", "metricStat": ["metric": ["namespace": "app", "metricName": "errors"], "period": 300, "stat": "Sum", "unit": "Count"],
             "returnData": false],
        ]]
        #expect(CloudWatchProvider.problems(analysis: settings) == [])
        #expect(CloudWatchProvider.problems(analysis: ["interval": "soon"]) == [
            "interval: \"soon\" is not a positive duration such as 5m",
            "metricDataQueries: at least one query is required (id with expression or metricStat)",
        ])
        let api = CloudWatchProvider.apiNames(settings["metricDataQueries"][1])
        #expect(api == ["Id": "errors", "MetricStat": ["Metric": ["Namespace": "app", "MetricName": "errors"], "Period": 300, "Stat": "Sum", "Unit": "Count"],
                        "ReturnData": false])
        let result = CloudWatchProvider.readable(["Id": "rate", "Timestamps": [1_440_938_160], "Values": [0.005, 0.002]])
        let (phase, _) = AnalysisRunEvaluator.judge(value: .array([ExprValue(json: result)]),
                                                    successCondition: "len(result[0].Values) >= 2 and all(result[0].Values, {# <= 0.01})",
                                                    failureCondition: nil)
        #expect(phase == .successful)
        #expect(result["Timestamps"][0] == "2015-08-30T12:36:00Z")
    }
}

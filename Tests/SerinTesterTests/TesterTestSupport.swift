import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import SerinTester

/// A webhook body as Serin sends it.
func webhookBody(name: String = "podinfo", namespace: String = "test", _ metadata: [String: String]) -> [UInt8] {
    let payload: [String: Any] = ["name": name, "namespace": namespace, "phase": "Progressing", "checksum": "abc",
                                  "metadata": metadata]
    return Array((try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])) ?? Data())
}

/// A webhook POST to `/`.
func post(_ tester: Tester, name: String = "podinfo", namespace: String = "test",
          _ metadata: [String: String]) async -> TesterResponse {
    await tester.handle(TesterRequest(method: "POST", path: "/", body: webhookBody(name: name, namespace: namespace, metadata)))
}

/// A gate call (`/gate/check` …) for one canary.
func gate(_ tester: Tester, _ path: String, name: String = "podinfo", namespace: String = "test") async -> TesterResponse {
    await tester.handle(TesterRequest(method: "POST", path: path, body: webhookBody(name: name, namespace: namespace, [:])))
}

/// Tests keep the tester's logs out of their output (set SERIN_TEST_LOG to see them).
let quietLogger: Logger = {
    if ProcessInfo.processInfo.environment["SERIN_TEST_LOG"] != nil { return Logger(label: "serin.tester") }
    return Logger(label: "serin.tester", factory: { _ in SwiftLogNoOpLogHandler() })
}()

func makeTester(timeout: Double = 30, outputCap: Int = 64 << 10, maxTasks: Int = 8) -> Tester {
    Tester(options: TesterOptions(timeout: timeout, outputCap: outputCap, maxTasks: maxTasks, logger: quietLogger))
}

/// One HTTP request over the wire (URLSession), bounded by `timeout` seconds.
func http(_ method: String, _ url: String, body: [UInt8] = [], timeout: Double = 10) async throws -> (Int, String) {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.timeoutInterval = timeout
    if !body.isEmpty {
        request.httpBody = Data(body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}

/// Whether a process is gone (or a zombie waiting for its parent): what a kill leaves.
func processEnded(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    // "pid (comm) S …": the state follows the closing parenthesis.
    guard let close = stat.lastIndex(of: ")") else { return true }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state == "Z" || state == "X"
}

import AsyncHTTPClient
import Foundation
import KubeCore
import Logging
import NIOCore
import NIOSSL
import SerinAPI

/// Calls Canary webhooks: POST of the JSON payload, per-hook timeout and retries; a 2xx
/// answer passes. Never throws: every failure is a `WebhookResult` with a short reason.
public struct WebhookCaller: Sendable {
    /// Pause between retries of a failed call.
    public var retryDelay: Duration
    /// Largest answer body read (only its start is shown in messages).
    public static let maxBodyBytes = 64 << 10

    let clients: OperatorClients

    public init(retryDelay: Duration = .seconds(1), clients: OperatorClients = .process) {
        self.retryDelay = retryDelay
        self.clients = clients
    }

    public func call(_ hook: CanaryWebhook, payload: WebhookPayload) async -> WebhookResult {
        let body: [UInt8]
        do {
            body = try JSONValue(encoding: payload).serializedBytes()
        } catch {
            return WebhookResult(passed: false, message: "could not encode the payload: \(error)")
        }
        return await post(hook, body: body)
    }

    /// Sends `body` to the hook, retrying `retries` times after failures.
    func post(_ hook: CanaryWebhook, body: [UInt8]) async -> WebhookResult {
        var last = WebhookResult(passed: false, message: "not called")
        for attempt in 0...hook.effectiveRetries {
            if attempt > 0 {
                do { try await Task.sleep(for: retryDelay) } catch { return last }
            }
            last = await once(hook, body: body)
            if last.passed { return last }
        }
        return last
    }

    private func once(_ hook: CanaryWebhook, body: [UInt8]) async -> WebhookResult {
        var request = HTTPClientRequest(url: hook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        // Clamped to a day: the spec's value may be enormous (an overflow would trap).
        let seconds = hook.timeoutSeconds.isNaN ? 0 : min(max(hook.timeoutSeconds, 0), 86_400)
        do {
            let client = hook.disableTLS == true ? clients.insecureWebhooks : clients.webhooks
            let response = try await client.execute(request, timeout: .milliseconds(Int64(seconds * 1000)))
            let code = Int(response.status.code)
            let text = (try? await response.body.collect(upTo: Self.maxBodyBytes)).map { String(buffer: $0) } ?? ""
            if (200..<300).contains(code) { return WebhookResult(passed: true, statusCode: code, message: "") }
            let snippet = text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200)
            return WebhookResult(passed: false, statusCode: code, message: snippet.isEmpty ? "" : String(snippet))
        } catch let e as HTTPClientError where e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout {
            return WebhookResult(passed: false, message: "timeout after \(GoDurationText.format(seconds))")
        } catch {
            return WebhookResult(passed: false, message: Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return text.count > 200 ? String(text.prefix(200)) : text
    }
}

/// Seconds shown as a Go-style duration (`30s`, `5m0s` → `5m`).
enum GoDurationText {
    static func format(_ seconds: Double) -> String {
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        if seconds == seconds.rounded() { return "\(Int(seconds))s" }
        return String(format: "%.3gs", seconds)
    }
}

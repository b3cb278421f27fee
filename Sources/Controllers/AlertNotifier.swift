import AsyncHTTPClient
import Foundation
import KubeCore
import KubeRuntime
import Logging
import Metrics
import NIOCore
import SerinAPI

/// Sends notifications to the AlertProviders a resource names, off the reconcile's path.
///
/// `dispatch` returns at once: providers are read, and messages posted, in a task of their
/// own, each POST bounded by `options.timeout`. A provider that is missing, misconfigured,
/// answers non-2xx or hangs is logged and counted (`serin_alerts_total{result="failed"}`)
/// and never holds up a promotion or a rollback. Webhook addresses are never logged: for
/// Slack and Discord the URL is the credential.
public struct AlertNotifier: Sendable {
    let api: any KubeAPI
    /// The Secrets informer's cache, when there is one; the API otherwise.
    let secrets: ObjectStore?
    let options: AlertOptions

    public init(api: any KubeAPI, secrets: ObjectStore? = nil, options: AlertOptions = AlertOptions()) {
        self.api = api
        self.secrets = secrets
        self.options = options
    }

    /// What happened to one message at one provider.
    public struct Delivery: Sendable, Hashable {
        /// `namespace/name` of the AlertProvider.
        public var provider: String
        public var reason: String
        public var sent: Bool
        /// Why it failed (no address in it).
        public var error: String?
    }

    /// A provider ready to post to.
    struct Target: Sendable {
        var id: String
        var type: AlertProviderType
        var address: String
        var proxy: String?
        var channel: String?
        var username: String
        /// Lowest severity sent: the stricter of the alert entry's and the provider's filter.
        var minimum: AlertSeverity
        /// The Secret's `token`: API key, routing key or bot token.
        var token: String?
        /// The Secret's `username` and `password`: the mail server's login.
        var login: String?
        var password: String?
        /// The Secret's `ca.crt`: roots to trust for the mail server's STARTTLS.
        var caPEM: String?
        var email: AlertProviderEmail?
        var template: AlertTemplate?
    }

    /// Fire and forget: returns before anything is read or sent.
    public func dispatch(_ messages: [AlertMessage], alerts: [CanaryAlert], logger: Logger) {
        guard !messages.isEmpty, !alerts.isEmpty else { return }
        options.clients.notifications.enqueue { _ = await deliver(messages, alerts: alerts, logger: logger) }
    }

    /// Reads the providers and sends each message each provider's filter lets through; every
    /// provider in parallel, messages to one provider in order.
    public func deliver(_ messages: [AlertMessage], alerts: [CanaryAlert], logger: Logger) async -> [Delivery] {
        guard let first = messages.first else { return [] }
        return await withTaskGroup(of: [Delivery].self) { group in
            for alert in alerts {
                let wanted = messages.filter { $0.severity >= alert.effectiveSeverity }
                guard !wanted.isEmpty else { continue }
                group.addTask {
                    let ns = alert.providerRef.namespace ?? first.namespace
                    let id = "\(ns)/\(alert.providerRef.name)"
                    let target: Target
                    do {
                        target = try await resolve(alert, namespace: ns, id: id)
                    } catch {
                        return wanted.map { m in
                            failed(id, m, reason: (error as? ResolveError)?.text ?? "\(error)", logger: logger)
                        }
                    }
                    var out: [Delivery] = []
                    for m in wanted where m.severity >= target.minimum {
                        if let d = await send(m, to: target, logger: logger) { out.append(d) }
                    }
                    return out
                }
            }
            var all: [Delivery] = []
            for await d in group { all += d }
            return all
        }
    }

    // MARK: - Providers

    struct ResolveError: Error { var text: String }

    func resolve(_ alert: CanaryAlert, namespace ns: String, id: String) async throws(ResolveError) -> Target {
        let json: JSONValue
        do {
            json = try await api.get(.alertProviders, namespace: ns, name: alert.providerRef.name)
        } catch let e as KubeAPIError where e.isNotFound {
            throw ResolveError(text: "AlertProvider \(id) not found")
        } catch {
            throw ResolveError(text: "could not read AlertProvider \(id): \(AlertHTTP.short("\(error)"))")
        }
        let provider: AlertProvider
        do {
            provider = try AlertProvider(json: json)
        } catch {
            throw ResolveError(text: "AlertProvider \(id) does not decode: \(error)")
        }
        let spec = provider.spec
        if let problem = spec.validate().first {
            throw ResolveError(text: "AlertProvider \(id) is invalid: \(problem)")
        }
        guard let type = spec.providerType else { throw ResolveError(text: "AlertProvider \(id): unknown type") }
        var address = spec.address ?? ""
        var proxy = spec.proxy
        var data: [String: String] = [:]
        if let ref = spec.secretRef {
            data = try await secretData(namespace: ns, name: ref.name, provider: id)
            if let a = data["address"], !a.isEmpty { address = a }
            if let p = data["proxy"], !p.isEmpty { proxy = p }
            if address.isEmpty, type.defaultAddress == nil {
                throw ResolveError(text: "Secret \(ns)/\(ref.name) of AlertProvider \(id) has no key address")
            }
            if type.needsToken, (data["token"] ?? "").isEmpty {
                throw ResolveError(text: "Secret \(ns)/\(ref.name) of AlertProvider \(id) has no key token")
            }
        }
        if address.isEmpty, let fallback = type.defaultAddress { address = fallback }
        if type == .email {
            guard AlertProviderSpec.isSMTPURL(address) else {
                throw ResolveError(text: "the address of AlertProvider \(id) is not an smtp:// URL")
            }
        } else if !AlertProviderSpec.isHTTPURL(address) {
            throw ResolveError(text: "the address of AlertProvider \(id) is not an http(s) URL")
        }
        // Validation above parsed it already.
        let template = spec.template.flatMap { try? AlertTemplate(parsing: $0) }
        return Target(id: id, type: type, address: address, proxy: proxy, channel: spec.channel,
                      username: spec.effectiveUsername, minimum: max(alert.effectiveSeverity, spec.effectiveSeverity),
                      token: data["token"], login: data["username"], password: data["password"], caPEM: data["ca.crt"],
                      email: spec.email, template: template)
    }

    /// The Secret's `data`, decoded (values trimmed: `echo url | base64` adds a newline).
    func secretData(namespace: String, name: String, provider: String) async throws(ResolveError) -> [String: String] {
        var secret = secrets?.get(namespace: namespace, name: name)
        if secret == nil {
            do {
                secret = try await api.get(.secrets, namespace: namespace, name: name)
            } catch let e as KubeAPIError where e.isNotFound {
                throw ResolveError(text: "Secret \(namespace)/\(name) of AlertProvider \(provider) not found")
            } catch {
                throw ResolveError(text: "could not read Secret \(namespace)/\(name): \(AlertHTTP.short("\(error)"))")
            }
        }
        var out: [String: String] = [:]
        for (k, v) in secret?["data"].objectValue ?? [:] {
            guard let b64 = v.stringValue, let d = Data(base64Encoded: b64) else { continue }
            out[k] = String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        for (k, v) in secret?["stringData"].objectValue ?? [:] where out[k] == nil {
            out[k] = v.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return out
    }

    // MARK: - Sending

    /// Sends one message, trying again with a doubling wait while the failure may pass (the
    /// task is detached from the reconcile, so waiting here delays no one).
    func send(_ m: AlertMessage, to t: Target, logger: Logger) async -> Delivery? {
        var m = m
        if let template = t.template { m.headline = template.render(m.templateValues) }
        let plan = t.plan(m)
        if case .skip = plan {
            logger.debug("alert not sent: informational", metadata: ["provider": "\(t.id)", "reason": "\(m.reason)"])
            return nil
        }
        var outcome = AlertHTTP.Outcome.failure("not sent", retryable: false)
        for attempt in 1...max(1, options.attempts) {
            let wait = options.delay(before: attempt)
            if wait > .zero {
                do { try await Task.sleep(for: wait) } catch { break }
            }
            outcome = await deliver(plan, target: t)
            guard case .failure(let why, let retryable) = outcome, retryable else { break }
            if attempt < options.attempts {
                logger.debug("alert delivery will be retried",
                             metadata: ["provider": "\(t.id)", "attempt": "\(attempt)", "error": "\(scrub(why, t))"])
            }
        }
        switch outcome {
        case .success:
            count(t.id, "sent")
            logger.debug("alert sent", metadata: ["provider": "\(t.id)", "reason": "\(m.reason)"])
            return Delivery(provider: t.id, reason: m.reason, sent: true)
        case .failure(let why, _):
            return failed(t.id, m, reason: scrub(why, t), type: t.type, logger: logger)
        }
    }

    func deliver(_ plan: AlertDeliveryPlan, target t: Target) async -> AlertHTTP.Outcome {
        switch plan {
        case .skip:
            return .success
        case .http(let request):
            return await AlertHTTP.post(request, proxy: t.proxy, timeout: options.timeout, client: options.clients.alerts)
        case .mail(let mail):
            guard let client = SMTPClient(address: t.address, username: t.login, password: t.password, caPEM: t.caPEM,
                                          timeout: options.timeout) else {
                return .failure("the address is not smtp://host:port", retryable: false)
            }
            do {
                try await client.send(mail.rendered(messageID: "\(UUID().uuidString.lowercased())@serin"),
                                      from: mail.email.from, to: mail.email.to)
                return .success
            } catch let e as SMTPClient.Failure {
                return .failure(e.description, retryable: !e.permanent)
            } catch {
                return .failure("\(error)", retryable: true)
            }
        }
    }

    /// The text without the provider's credentials, in case a transport error quoted them.
    func scrub(_ text: String, _ t: Target) -> String {
        var out = text
        for secret in t.secrets where secret.count >= 4 { out = out.replacingOccurrences(of: secret, with: "<redacted>") }
        return out
    }

    func failed(_ id: String, _ m: AlertMessage, reason: String, type: AlertProviderType? = nil,
                logger: Logger) -> Delivery {
        count(id, "failed")
        var meta: Logger.Metadata = ["provider": "\(id)", "reason": "\(m.reason)", "error": "\(reason)",
                                     "severity": "\(m.severity.rawValue)"]
        if let type { meta["type"] = "\(type.rawValue)" }
        logger.warning("alert delivery failed", metadata: meta)
        return Delivery(provider: id, reason: m.reason, sent: false, error: reason)
    }

    func count(_ provider: String, _ result: String) {
        let dims = [("provider", provider), ("result", result)]
        if let f = options.metricsFactory {
            Counter(label: "serin_alerts_total", dimensions: dims, factory: f).increment()
        } else {
            Counter(label: "serin_alerts_total", dimensions: dims).increment()
        }
    }
}

/// The POST itself: the operator's alert client, or a short-lived one through a proxy.
enum AlertHTTP {
    enum Outcome: Sendable {
        case success
        /// Why (no address in it), and whether trying again may help.
        case failure(String, retryable: Bool)
    }

    static func post(_ call: AlertHTTPRequest, proxy: String?, timeout: Duration, client: HTTPClient) async -> Outcome {
        var request = HTTPClientRequest(url: call.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "serin-alerts")
        for (name, value) in call.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: call.body.serializedBytes()))
        let amount = TimeAmount.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
                                            + timeout.components.attoseconds / 1_000_000_000)
        var owned: HTTPClient?
        if let proxy, let url = URL(string: proxy), let host = url.host {
            owned = OperatorClients.client(connectTimeout: .seconds(5), verify: true, proxy: .server(host: host, port: url.port ?? 80))
        }
        let http = owned ?? client
        let outcome: Outcome
        do {
            let response = try await http.execute(request, timeout: amount)
            let code = Int(response.status.code)
            let text = (try? await response.body.collect(upTo: 4096)).map { String(buffer: $0) } ?? ""
            if (200..<300).contains(code) {
                outcome = .success
            } else {
                let snippet = short(text.trimmingCharacters(in: .whitespacesAndNewlines), 160)
                outcome = .failure(snippet.isEmpty ? "HTTP \(code)" : "HTTP \(code): \(snippet)",
                                   retryable: code == 429 || code >= 500)
            }
        } catch let e as HTTPClientError where e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout {
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            outcome = .failure("timeout after \(GoDurationText.format(seconds))", retryable: true)
        } catch {
            outcome = .failure(WebhookCaller.describe(error), retryable: true)
        }
        try? await owned?.shutdown()
        return outcome
    }

    static func short(_ text: String, _ limit: Int = 200) -> String {
        text.count > limit ? String(text.prefix(limit)) + "…" : text
    }
}

import Foundation
import KubeCore
import SerinAPI

/// One HTTP call a provider needs for a message: where, with which headers, what body.
struct AlertHTTPRequest: Sendable {
    var url: String
    var headers: [(String, String)] = []
    var body: JSONValue
}

/// How one message reaches one provider.
enum AlertDeliveryPlan: Sendable {
    case http(AlertHTTPRequest)
    case mail(AlertMail)
    /// Nothing to send (an incident tool and an informational milestone).
    case skip
}

extension AlertNotifier.Target {
    /// The call(s) for `m`, the message line already rendered from the user's template.
    func plan(_ m: AlertMessage) -> AlertDeliveryPlan {
        let base = address.hasSuffix("/") ? String(address.dropLast()) : address
        switch type {
        case .slack, .msteams, .discord, .generic, .rocket, .googlechat:
            return .http(AlertHTTPRequest(url: address, body: AlertPayload.body(type, m, channel: channel, username: username)))
        case .telegram:
            let body = AlertPayload.telegram(m, chat: channel ?? "")
            return .http(AlertHTTPRequest(url: "\(base)/bot\(token ?? "")/sendMessage", body: body))
        case .pagerduty:
            guard let action = AlertIncidentAction.of(m) else { return .skip }
            let body = AlertPayload.pagerDuty(m, action: action, routingKey: token ?? "")
            return .http(AlertHTTPRequest(url: base.hasSuffix("/v2/enqueue") ? base : base + "/v2/enqueue", body: body))
        case .opsgenie:
            guard let action = AlertIncidentAction.of(m) else { return .skip }
            let auth = [("Authorization", "GenieKey \(token ?? "")")]
            let body = AlertPayload.opsgenie(m, action: action, username: username)
            guard action == .resolve else { return .http(AlertHTTPRequest(url: base + "/v2/alerts", headers: auth, body: body)) }
            let alias = m.incidentKey.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? m.incidentKey
            return .http(AlertHTTPRequest(url: "\(base)/v2/alerts/\(alias)/close?identifierType=alias", headers: auth, body: body))
        case .alertmanager:
            guard let action = AlertIncidentAction.of(m) else { return .skip }
            let url = base.hasSuffix("/api/v2/alerts") ? base : base + "/api/v2/alerts"
            return .http(AlertHTTPRequest(url: url, body: AlertPayload.alertmanager(m, action: action)))
        case .email:
            return .mail(AlertMail(message: m, email: email ?? AlertProviderEmail(from: "", to: [])))
        }
    }

    /// The credentials an error text must never carry.
    var secrets: [String] { [address, proxy, token, password].compactMap { $0 }.filter { !$0.isEmpty } }
}

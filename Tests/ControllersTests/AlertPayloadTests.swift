import Controllers
import Delivery
import Foundation
import KubeCore
import SerinAPI
import Testing

@Suite("Alerts: severities, payloads, AlertProvider validation")
struct AlertPayloadTests {
    static let message = AlertMessage(
        kind: "Canary", name: "podinfo", namespace: "test", severity: .error, reason: "RollingBack",
        text: "Rolling back podinfo.test: failed checks threshold reached 5", phase: "Progressing",
        fields: [AlertField("Target", "Deployment/podinfo.test"), AlertField("Failed checks", "5/5")],
        timestamp: Date(timeIntervalSince1970: 1_800_000_000))

    @Test("decision events map to info (progress, promotion), warn (gates, halts), error (rollback, failure)")
    func severities() {
        func s(_ type: CanaryEvent.Kind, _ reason: String, waitingFor: String? = nil) -> AlertSeverity? {
            CanaryAlertEvents.severity(of: CanaryEvent(type, reason, "m"), waitingFor: waitingFor)
        }
        #expect(s(.normal, "NewRevision") == .info)
        #expect(s(.normal, "Succeeded") == .info)
        #expect(s(.normal, "Promoting") == .info)
        #expect(s(.warning, "RollingBack") == .error)
        #expect(s(.warning, "Failed") == .error)
        #expect(s(.warning, "Halt") == .warn)
        #expect(s(.normal, "Waiting", waitingFor: "confirm-promotion") == .warn)
        #expect(s(.normal, "Waiting", waitingFor: "canary-ready") == nil)
        #expect(s(.normal, "Advance") == nil)  // per-step: Events only
        #expect(s(.warning, "SomethingNew") == .warn)
        #expect(AlertSeverity.warn > .info)
        #expect(AlertSeverity.error > .warn)
    }

    @Test("Slack: fallback text, username, channel, a section with the message and one with the fields")
    func slack() throws {
        let body = AlertPayload.body(.slack, Self.message, channel: "#deploys", username: "serin")
        #expect(body["text"] == "[error] Canary podinfo.test: Rolling back podinfo.test: failed checks threshold reached 5")
        #expect(body["username"] == "serin")
        #expect(body["channel"] == "#deploys")
        let blocks = try #require(body["blocks"].arrayValue)
        #expect(blocks.first?["text"]["type"] == "mrkdwn")
        #expect(blocks.first?["text"]["text"].stringValue?.contains("*Canary podinfo.test* · RollingBack") == true)
        #expect(blocks[1]["fields"][1]["text"] == "*Failed checks*\n5/5")
        #expect(AlertPayload.body(.slack, Self.message, channel: nil, username: "x")["channel"] == nil)
    }

    @Test("MS Teams MessageCard, Discord embeds and the generic document")
    func otherShapes() {
        let teams = AlertPayload.body(.msteams, Self.message, channel: nil, username: "serin")
        #expect(teams["@type"] == "MessageCard")
        #expect(teams["themeColor"] == "E01E5A")
        #expect(teams["sections"][0]["facts"][0]["name"] == "Target")
        #expect(teams["sections"][0]["activitySubtitle"] == .string(Self.message.text))

        let discord = AlertPayload.body(.discord, Self.message, channel: nil, username: "bot")
        #expect(discord["username"] == "bot")
        #expect(discord["embeds"][0]["color"] == .int(0xE01E5A))
        #expect(discord["embeds"][0]["description"] == .string(Self.message.text))
        #expect(discord["embeds"][0]["fields"][0]["inline"] == true)

        let generic = AlertPayload.body(.generic, Self.message, channel: nil, username: "serin")
        #expect(generic["name"] == "podinfo")
        #expect(generic["namespace"] == "test")
        #expect(generic["severity"] == "error")
        #expect(generic["reason"] == "RollingBack")
        #expect(generic["phase"] == "Progressing")
        #expect(generic["fields"]["Failed checks"] == "5/5")
        #expect(generic["timestamp"] == "2027-01-15T08:00:00Z")
    }

    @Test("AlertProvider validation names the field and the fix, and never echoes an address")
    func validation() throws {
        #expect(AlertProviderSpec(type: "slack", address: "https://hooks.slack.com/services/T/B/x").validate().isEmpty)
        #expect(AlertProviderSpec(type: "generic", secretRef: AlertProviderSecretRef(name: "s")).validate().isEmpty)
        let none = AlertProviderSpec(type: "slack").validate()
        #expect(none.map(\.path) == ["spec.address"])
        let bad = AlertProviderSpec(type: "pager", address: "hooks.example/secret-token", proxy: "proxy:3128",
                                    severity: "critical").validate()
        #expect(bad.map(\.path) == ["spec.type", "spec.address", "spec.proxy", "spec.severity"])
        #expect(!bad.description.contains("secret-token"))
        let alert = CanaryAlert(name: "", severity: "loud", providerRef: CrossNamespaceRef(name: ""))
        #expect(alert.validate(path: "spec.analysis.alerts[0]").map(\.path)
                == ["spec.analysis.alerts[0].name", "spec.analysis.alerts[0].providerRef.name", "spec.analysis.alerts[0].severity"])

        let json: JSONValue = ["apiVersion": "serin.dev/v1alpha1", "kind": "AlertProvider",
                               "metadata": ["name": "on-call", "namespace": "ops"],
                               "spec": ["type": "msteams", "secretRef": ["name": "teams"], "severity": "warn"]]
        let provider = try AlertProvider(json: json)
        #expect(provider.spec.providerType == .msteams)
        #expect(provider.spec.effectiveSeverity == .warn)
        #expect(provider.spec.effectiveUsername == "serin")
        #expect(provider.namespace == "ops")
    }

    @Test("the CRD's type and severity enums match the Swift types")
    func crdMatchesTypes() throws {
        let crd = try Manifest.crd("alertproviders.yaml")
        let spec = crd[path: ["spec", "versions"]][0][path: ["schema", "openAPIV3Schema", "properties", "spec"]]
        let types = Set((spec[path: ["properties", "type", "enum"]].arrayValue ?? []).compactMap(\.stringValue))
        let severities = Set((spec[path: ["properties", "severity", "enum"]].arrayValue ?? []).compactMap(\.stringValue))
        // Flagger's gchat is an alias of googlechat.
        #expect(types == Set(AlertProviderType.allCases.map(\.rawValue) + AlertProviderType.aliases.keys))
        #expect(severities == Set(AlertSeverity.allCases.map(\.rawValue)))
        #expect(crd[path: ["spec", "names", "shortNames"]] == ["ap"])
        #expect(crd[path: ["spec", "names", "categories"]] == ["serin"])
    }
}

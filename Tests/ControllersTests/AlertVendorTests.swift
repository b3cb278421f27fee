import Controllers
import Foundation
import KubeCore
import SerinAPI
import Testing

/// Each vendor type against a scripted loopback server standing in for the vendor's API:
/// the path, headers and body the vendor documents, credentials taken from the Secret and
/// kept out of logs, incident tools opened and resolved per release, and retries.
@Suite("Alerts: PagerDuty, Opsgenie, Google Chat, Rocket.Chat, Telegram; templates and retries", .serialized,
       .timeLimit(.minutes(1)))
struct AlertVendorTests {
    static let token = "tok-7d1f0c9e2b"

    static func with(_ body: (AlertVendorRig, ScriptedHTTPServer) async throws -> Void) async throws {
        let rig = try await AlertVendorRig.start()
        let receiver = try await ScriptedHTTPServer.start()
        receiver.script { _ in (202, #"{"status":"success"}"#) }
        do {
            try await body(rig, receiver)
        } catch {
            await receiver.stop()
            await rig.stop()
            throw error
        }
        await receiver.stop()
        await rig.stop()
    }

    static func json(_ r: ScriptedRequest) -> JSONValue { (try? JSONValue(parsing: r.body)) ?? .null }
    static func path(_ p: String) -> @Sendable (ScriptedRequest) -> Bool { { $0.path == p } }

    func noTokenLeaked(_ rig: AlertVendorRig) {
        let leaked = rig.logs.all.filter { $0.contains(Self.token) }
        #expect(leaked.isEmpty, "\(leaked)")
    }

    @Test("PagerDuty Events v2: trigger on a warning and an error, nothing for info, resolve on success, one dedup_key per release")
    func pagerDuty() async throws {
        try await Self.with { rig, receiver in
            try await rig.provider("pd", ["type": "pagerduty", "address": .string(receiver.baseURL)], secret: ["token": Self.token])
            let release1 = [AlertVendorRig.message("NewRevision", .info), AlertVendorRig.message("Halt", .warn),
                            AlertVendorRig.message("RollingBack", .error), AlertVendorRig.message("Succeeded", .info)]
            let out = await rig.deliver(release1 + [AlertVendorRig.message("RollingBack", .error, release: "rev-2")], to: "pd")
            #expect(out.map(\.reason) == ["Halt", "RollingBack", "Succeeded", "RollingBack"])
            #expect(!out.map(\.sent).contains(false))
            let posts = receiver.requests
            let targets = Set(posts.map { "\($0.method) \($0.path)" })
            #expect(targets == ["POST /v2/enqueue"])
            let bodies = posts.map(Self.json)
            let actions = bodies.map { $0["event_action"] }
            #expect(actions == ["trigger", "trigger", "resolve", "trigger"])
            let keys = Set(bodies.map { $0["routing_key"] })
            #expect(keys == [.string(Self.token)])
            #expect(bodies[0]["dedup_key"] == "serin/Canary/ops/shop/rev-1")
            let releaseKeys = Set(bodies[0..<3].map { $0["dedup_key"] })
            #expect(releaseKeys.count == 1)
            #expect(bodies[3]["dedup_key"] == "serin/Canary/ops/shop/rev-2")
            #expect(bodies[0]["payload"]["severity"] == "warning")
            #expect(bodies[1]["payload"]["severity"] == "error")
            #expect(bodies[1]["payload"]["source"] == "serin/ops/shop")
            #expect(bodies[1]["payload"]["summary"] == "[error] Canary shop.ops: RollingBack shop.ops")
            #expect(bodies[1]["payload"]["custom_details"]["Failed checks"] == "1/5")
            #expect(bodies[1]["payload"]["timestamp"] == "2027-01-15T08:00:00Z")
            #expect(bodies[2]["payload"] == nil)  // a resolve carries the key only
            noTokenLeaked(rig)
        }
    }

    @Test("Opsgenie: create with the GenieKey header, alias per release and priority; close by alias on success")
    func opsgenie() async throws {
        try await Self.with { rig, receiver in
            try await rig.provider("og", ["type": "opsgenie", "address": .string(receiver.baseURL)], secret: ["token": Self.token])
            let out = await rig.deliver([AlertVendorRig.message("Failed", .error), AlertVendorRig.message("Succeeded", .info)],
                                        to: "og")
            #expect(out.map(\.sent) == [true, true])
            let posts = receiver.requests
            #expect(posts.count == 2)
            let auth = Set(posts.map { $0.headers["authorization"] ?? "" })
            #expect(auth == ["GenieKey \(Self.token)"])
            #expect(posts[0].path == "/v2/alerts")
            let create = Self.json(posts[0])
            #expect(create["alias"] == "serin/Canary/ops/shop/rev-1")
            #expect(create["priority"] == "P2")
            #expect(create["message"] == "[error] Canary shop.ops: Failed shop.ops")
            #expect(create["tags"] == ["serin", "Canary", "ops"])
            #expect(create["details"]["Target"] == "Deployment/shop.ops")
            let alias = "serin/Canary/ops/shop/rev-1".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            #expect(posts[1].path == "/v2/alerts/\(alias)/close")
            #expect(posts[1].query == "identifierType=alias")
            #expect(Self.json(posts[1])["source"] == "serin")
            noTokenLeaked(rig)
        }
    }

    @Test("Google Chat (and Flagger's gchat) post text; Rocket.Chat gets text, alias, channel and an attachment")
    func chats() async throws {
        try await Self.with { rig, receiver in
            let base = receiver.baseURL
            try await rig.provider("chat", ["type": "googlechat", "address": .string(base + "/v1/spaces/AAA/messages")])
            try await rig.provider("flagger-chat", ["type": "gchat", "address": .string(base + "/gchat")])
            try await rig.provider("rocket", ["type": "rocket", "address": .string(base + "/hooks/xyz"),
                                              "channel": "#deploys", "username": "serin-bot"])
            let m = AlertVendorRig.message("Failed", .error)
            for name in ["chat", "flagger-chat", "rocket"] {
                let sent = await rig.deliver([m], to: name).map(\.sent)
                #expect(sent == [true], "\(name)")
            }
            let byPath = Dictionary(receiver.requests.map { ($0.path, Self.json($0)) }, uniquingKeysWith: { $1 })
            let chat = try #require(byPath["/v1/spaces/AAA/messages"])
            #expect(chat["text"] == "*[error] Canary shop.ops: Failed shop.ops*\nTarget: Deployment/shop.ops\nFailed checks: 1/5")
            #expect(byPath["/gchat"] == chat)
            let rocket = try #require(byPath["/hooks/xyz"])
            #expect(rocket["alias"] == "serin-bot")
            #expect(rocket["channel"] == "#deploys")
            #expect(rocket["text"] == "[error] Canary shop.ops: Failed shop.ops")
            #expect(rocket["attachments"][0]["color"] == "#E01E5A")
            #expect(rocket["attachments"][0]["fields"][1]["title"] == "Failed checks")
            #expect(rocket["attachments"][0]["fields"][1]["value"] == "1/5")
        }
    }

    @Test("Telegram sendMessage: the bot token in the path, the chat id from channel; an error does not quote the token")
    func telegram() async throws {
        try await Self.with { rig, receiver in
            try await rig.provider("tg", ["type": "telegram", "address": .string(receiver.baseURL), "channel": "-100123"],
                                   secret: ["token": Self.token])
            let sent = await rig.deliver([AlertVendorRig.message("Failed", .error)], to: "tg").map(\.sent)
            #expect(sent == [true])
            let post = try #require(receiver.requests.first)
            #expect(post.path == "/bot\(Self.token)/sendMessage")
            #expect(Self.json(post)["chat_id"] == "-100123")
            #expect(Self.json(post)["text"].stringValue?.hasPrefix("[error] Canary shop.ops: Failed shop.ops\nTarget:") == true)
            // Telegram's 401 answer; a proxy or a server might echo the URL, which holds the token.
            receiver.script { req in (401, #"{"ok":false,"description":"Unauthorized \#(req.path)"}"#) }
            let failed = await rig.deliver([AlertVendorRig.message("Failed", .error)], to: "tg")
            #expect(failed.map(\.sent) == [false])
            #expect(failed.first?.error?.contains("HTTP 401") == true)
            #expect(failed.first?.error?.contains(Self.token) == false)
            noTokenLeaked(rig)
        }
    }

    @Test("spec.template replaces the message line of every type; a bad placeholder is refused by name")
    func template() async throws {
        try await Self.with { rig, receiver in
            let template = "{{ .Reason }}: {{.Subject}} at {{ .Weight }}% ({{ .FailedChecks }} failed) {{.Target}}"
            try await rig.provider("slack", ["type": "slack", "address": .string(receiver.baseURL + "/slack"),
                                             "template": .string(template)])
            try await rig.provider("pd", ["type": "pagerduty", "address": .string(receiver.baseURL),
                                          "template": .string(template)], secret: ["token": Self.token])
            let m = AlertVendorRig.message("RollingBack", .error)
            _ = await rig.deliver([m], to: "slack")
            _ = await rig.deliver([m], to: "pd")
            let want = "RollingBack: shop.ops at 20% (1/5 failed) Deployment/shop.ops"
            let requests = receiver.requests
            let slack = try #require(requests.first(where: Self.path("/slack")))
            #expect(Self.json(slack)["text"] == .string(want))
            let pd = try #require(requests.first(where: Self.path("/v2/enqueue")))
            #expect(Self.json(pd)["payload"]["summary"] == .string(want))

            let bad = AlertProviderSpec(type: "slack", address: "https://x", template: "{{ .Rollout.Name }}").validate()
            #expect(bad.map(\.path) == ["spec.template"])
            #expect(bad.first?.message.contains("{{ .Rollout.Name }} is not a placeholder") == true)
            let open = AlertProviderSpec(type: "slack", address: "https://x", template: "{{ .Name").validate()
            #expect(open.first?.message == "a {{ is never closed by }}")
        }
    }

    @Test("a 503 or 429 is tried again with a doubling wait until it passes; a 400 is not")
    func retries() async throws {
        try await Self.with { rig, receiver in
            try await rig.provider("flaky", ["type": "generic", "address": .string(receiver.baseURL + "/flaky")])
            try await rig.provider("wrong", ["type": "generic", "address": .string(receiver.baseURL + "/wrong")])
            receiver.script { req in
                if req.path == "/wrong" { return (400, "bad payload") }
                let tries = receiver.requests.filter { $0.path == "/flaky" }.count
                return tries == 1 ? (503, "busy") : tries == 2 ? (429, "slow down") : (200, "ok")
            }
            let options = AlertOptions(timeout: .seconds(5), metricsFactory: rig.metrics, attempts: 4, retryDelay: .milliseconds(50))
            let start = ContinuousClock.now
            let out = await rig.deliver([AlertVendorRig.message("Failed", .error)], to: "flaky", options: options)
            let took = ContinuousClock.now - start
            #expect(out.map(\.sent) == [true])
            let flakyTries = receiver.requests.filter(Self.path("/flaky")).count
            #expect(flakyTries == 3)
            #expect(took >= .milliseconds(150), "waits 50 ms then 100 ms: \(took)")
            let wrong = await rig.deliver([AlertVendorRig.message("Failed", .error)], to: "wrong", options: options)
            #expect(wrong.first?.error == "HTTP 400: bad payload")
            let wrongTries = receiver.requests.filter(Self.path("/wrong")).count
            #expect(wrongTries == 1)
            #expect(rig.metrics.value("serin_alerts_total", [("provider", "ops/wrong"), ("result", "failed")]) == 1)
        }
    }

    @Test("validation of the new types names the missing token, chat id, sender and recipients")
    func validation() {
        #expect(AlertProviderSpec(type: "pagerduty").validate().map(\.path) == ["spec.secretRef"])
        #expect(AlertProviderSpec(type: "pagerduty", secretRef: AlertProviderSecretRef(name: "pd")).validate().isEmpty)
        #expect(AlertProviderSpec(type: "telegram", secretRef: AlertProviderSecretRef(name: "t")).validate().map(\.path)
                == ["spec.channel"])
        #expect(AlertProviderSpec(type: "alertmanager").validate().map(\.path) == ["spec.address"])
        #expect(AlertProviderSpec(type: "email", address: "https://mail").validate().map(\.path) == ["spec.address", "spec.email"])
        let mail = AlertProviderSpec(type: "email", address: "smtp://mail:587",
                                     email: AlertProviderEmail(from: "serin", to: ["a@b.c", "x>@y"])).validate()
        #expect(mail.map(\.path) == ["spec.email.from", "spec.email.to[1]"])
        #expect(AlertProviderSpec(type: "gchat", address: "https://chat.googleapis.com/v1/spaces/A/messages").validate().isEmpty)
    }
}

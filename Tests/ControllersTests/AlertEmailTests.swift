import Controllers
import Foundation
import KubeCore
import SerinAPI
import Testing

/// The `email` type against a real SMTP server: Debian's aiosmtpd, started on loopback with a
/// self-signed certificate, requiring STARTTLS and AUTH; the message is read back from what
/// the server received.
@Suite("Alerts: email over SMTP with STARTTLS and AUTH (aiosmtpd)", .serialized, .timeLimit(.minutes(1)),
       .enabled(if: LocalPeers.smtpAvailable, "needs Debian's python3-aiosmtpd and openssl (hack/setup)"))
struct AlertEmailTests {
    static let python = "/usr/bin/python3"
    static let password = "pw-5be1c7a0"

    /// Listens on 127.0.0.1 (a free port, written to `port`); each message is saved as N.eml
    /// with N.json holding the envelope and the login used. `--plain` offers no STARTTLS.
    static let server = #"""
    import asyncio, json, ssl, sys, os
    from aiosmtpd.smtp import SMTP, AuthResult
    plain = "--plain" in sys.argv
    count = 0
    class Handler:
        async def handle_DATA(self, server, session, envelope):
            global count
            count += 1
            with open(f"{count}.eml", "wb") as f: f.write(envelope.original_content or envelope.content)
            login = open("login").read() if os.path.exists("login") else None
            with open(f"{count}.json", "w") as f:
                json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos, "login": login}, f)
            return "250 OK"
    def auth(server, session, envelope, mechanism, data):
        ok = data.login == b"serin" and data.password == sys.argv[1].encode()
        if ok:
            with open("login", "w") as f: f.write(data.login.decode())
        return AuthResult(success=ok, handled=False)
    ctx = None
    if not plain:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain("cert.pem", "key.pem")
    def factory():
        return SMTP(Handler(), hostname="mail.test", tls_context=ctx, require_starttls=not plain,
                    authenticator=auth, auth_required=not plain, auth_require_tls=not plain)
    async def main():
        srv = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0)
        with open("port.tmp", "w") as f: f.write(str(srv.sockets[0].getsockname()[1]))
        os.rename("port.tmp", "port")
        await srv.serve_forever()
    asyncio.run(main())
    """#

    struct Mail {
        var envelope: JSONValue
        var text: String
        func header(_ name: String) -> String? {
            for line in text.components(separatedBy: "\r\n") {
                if line.isEmpty { break }
                if line.lowercased().hasPrefix(name.lowercased() + ": ") { return String(line.dropFirst(name.count + 2)) }
            }
            return nil
        }
        var body: String { text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n") }
    }

    /// Starts the SMTP server; its port and the PEM of its certificate.
    static func startServer(plain: Bool = false) async throws -> (LocalPeerProcess, Int, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("serin-smtp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try server.write(to: dir.appendingPathComponent("server.py"), atomically: true, encoding: .utf8)
        let made = try LocalPeerProcess.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ], in: dir)
        #expect(made == 0)
        let peer = try LocalPeerProcess(python, ["server.py", password] + (plain ? ["--plain"] : []), directory: dir)
        let portFile = dir.appendingPathComponent("port")
        let up = await peer.wait { FileManager.default.fileExists(atPath: portFile.path) }
        #expect(up, "aiosmtpd did not start: \(peer.output)")
        let port = Int((try? String(contentsOf: portFile, encoding: .utf8)) ?? "") ?? 0
        let pem = try String(contentsOf: dir.appendingPathComponent("cert.pem"), encoding: .utf8)
        return (peer, port, pem)
    }

    static func received(_ peer: LocalPeerProcess, _ n: Int) throws -> Mail {
        let text = try String(contentsOf: peer.directory.appendingPathComponent("\(n).eml"), encoding: .utf8)
        let env = try JSONValue(parsing: String(contentsOf: peer.directory.appendingPathComponent("\(n).json"), encoding: .utf8))
        return Mail(envelope: env, text: text)
    }

    static func spec(port: Int) -> JSONValue {
        ["type": "email", "address": .string("smtp://127.0.0.1:\(port)"),
         "email": ["from": "serin@example.com", "to": ["oncall@example.com", "sre@example.com"]]]
    }

    @Test("a failed canary is mailed after STARTTLS and AUTH PLAIN to every recipient; read back from the server")
    func mailed() async throws {
        let rig = try await AlertVendorRig.start()
        let (peer, port, pem) = try await Self.startServer()
        defer { peer.stop() }
        do {
            try await rig.provider("mail", Self.spec(port: port),
                                   secret: ["username": "serin", "password": Self.password, "ca.crt": pem])
            let out = await rig.deliver([AlertVendorRig.message("Failed", .error, text: "Canary failed! Ünïcode ok")], to: "mail")
            #expect(out.map(\.sent) == [true], "\(out) \(peer.output)")
            let mail = try Self.received(peer, 1)
            #expect(mail.envelope["login"] == "serin")
            #expect(mail.envelope["from"] == "serin@example.com")
            #expect(mail.envelope["to"] == ["oncall@example.com", "sre@example.com"])
            #expect(mail.header("From") == "serin@example.com")
            #expect(mail.header("To") == "oncall@example.com, sre@example.com")
            let subject = "[error] Canary shop.ops: Canary failed! Ünïcode ok"
            #expect(mail.header("Subject") == "=?UTF-8?B?\(Data(subject.utf8).base64EncodedString())?=")
            #expect(mail.header("Content-Transfer-Encoding") == "base64")
            let decoded = Data(base64Encoded: mail.body.replacingOccurrences(of: "\r\n", with: ""))
                .map { String(decoding: $0, as: UTF8.self) } ?? ""
            #expect(decoded.contains("Target: Deployment/shop.ops\nFailed checks: 1/5"))
            let leaked = rig.logs.all.filter { $0.contains(Self.password) }
            #expect(leaked.isEmpty)
        } catch {
            await rig.stop()
            throw error
        }
        await rig.stop()
    }

    @Test("an untrusted certificate, a wrong password and a server without STARTTLS all fail, naming why")
    func refusals() async throws {
        let rig = try await AlertVendorRig.start()
        let (peer, port, pem) = try await Self.startServer()
        let (plainPeer, plainPort, _) = try await Self.startServer(plain: true)
        defer {
            peer.stop()
            plainPeer.stop()
        }
        do {
            try await rig.provider("untrusted", Self.spec(port: port), secret: ["username": "serin", "password": Self.password])
            try await rig.provider("wrong", Self.spec(port: port), secret: ["username": "serin", "password": "nope", "ca.crt": pem])
            try await rig.provider("plain", Self.spec(port: plainPort), secret: ["username": "serin", "password": Self.password])
            let m = [AlertVendorRig.message("Failed", .error)]
            let untrusted = await rig.deliver(m, to: "untrusted").first
            #expect(untrusted?.sent == false)
            #expect(untrusted?.error?.contains("EHLO after STARTTLS failed") == true, "\(String(describing: untrusted))")
            let wrong = await rig.deliver(m, to: "wrong").first
            #expect(wrong?.error?.hasPrefix("AUTH: the mail server answered 535") == true, "\(String(describing: wrong))")
            let plain = await rig.deliver(m, to: "plain").first
            #expect(plain?.error == "the mail server does not offer STARTTLS; Serin sends mail only over TLS")
            #expect(!FileManager.default.fileExists(atPath: plainPeer.directory.appendingPathComponent("1.eml").path))
            #expect(!FileManager.default.fileExists(atPath: peer.directory.appendingPathComponent("1.eml").path))
        } catch {
            await rig.stop()
            throw error
        }
        await rig.stop()
    }
}

import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// A minimal SMTP submission client (RFC 5321): EHLO, STARTTLS (required: Serin never sends a
/// password or a message in the clear), AUTH PLAIN, MAIL, RCPT, DATA, QUIT.
struct SMTPClient: Sendable {
    var host: String
    var port: Int
    var username: String?
    var password: String?
    /// Roots to trust (PEM); nil: the system's.
    var caPEM: String?
    var timeout: Duration

    struct Failure: Error, CustomStringConvertible {
        var description: String
        /// A 5xx answer: the server refused for good; sending again would not help.
        var permanent = false
    }

    /// `smtp://host[:port]` (587 by default).
    init?(address: String, username: String?, password: String?, caPEM: String?, timeout: Duration) {
        guard let url = URL(string: address), url.scheme?.lowercased() == "smtp", let host = url.host, !host.isEmpty else {
            return nil
        }
        self.host = host
        port = url.port ?? 587
        self.username = username
        self.password = password
        self.caPEM = caPEM
        self.timeout = timeout
    }

    func send(_ data: String, from: String, to: [String]) async throws {
        let tls = try tlsConfiguration()
        let timeout = self.timeout
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await session(data, from: from, to: to, tls: tls) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw Failure(description: "timeout after \(timeout)")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    func tlsConfiguration() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let pem = caPEM, !pem.isEmpty {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))
            } catch {
                throw Failure(description: "the Secret's ca.crt is not a PEM certificate")
            }
        }
        return tls
    }

    private func session(_ data: String, from: String, to: [String], tls: TLSConfiguration) async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: Result<SMTPReply, any Error>.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(5))
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        try ch.pipeline.syncOperations.addHandler(SMTPReplyDecoder(continuation))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            throw Failure(description: "could not connect to the mail server: \(WebhookCaller.describe(error))")
        }
        var replies = stream.makeAsyncIterator()
        func expect(_ code: Int, after command: String) async throws -> SMTPReply {
            guard let next = await replies.next() else {
                throw Failure(description: "the mail server closed the connection after \(command)")
            }
            let reply: SMTPReply
            do { reply = try next.get() } catch {
                throw Failure(description: "\(command) failed: \(WebhookCaller.describe(error))")
            }
            guard reply.code == code else {
                throw Failure(description: "\(command): the mail server answered \(reply.code) \(reply.text.prefix(160))",
                              permanent: reply.code >= 500)
            }
            return reply
        }
        func say(_ line: String, _ code: Int, shown: String? = nil) async throws -> SMTPReply {
            // A failed write (the server or TLS closed the channel) leaves its reason in the
            // reply stream: `expect` reports that rather than "I/O on closed channel".
            try? await channel.writeAndFlush(ByteBuffer(string: line + "\r\n")).get()
            return try await expect(code, after: shown ?? String(line.prefix(while: { $0 != " " && $0 != ":" })))
        }
        defer { channel.close(promise: nil) }
        _ = try await expect(220, after: "connecting")
        let hello = try await say("EHLO serin", 250)
        guard hello.has("STARTTLS") else {
            throw Failure(description: "the mail server does not offer STARTTLS; Serin sends mail only over TLS",
                          permanent: true)
        }
        _ = try await say("STARTTLS", 220)
        let serverName = host
        try await channel.eventLoop.submit {
            let context = try NIOSSLContext(configuration: tls)
            // An IP address is checked against the certificate's IP SANs (hostname nil).
            let name = serverName.contains(where: \.isLetter) ? serverName : nil
            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: name),
                                                           position: .first)
        }.get()
        let secured = try await say("EHLO serin", 250, shown: "EHLO after STARTTLS")
        if let username, let password, !username.isEmpty {
            guard secured.has("AUTH"), secured.lines.contains(where: { $0.uppercased().contains("PLAIN") }) else {
                throw Failure(description: "the mail server offers no AUTH PLAIN", permanent: true)
            }
            let token = Data("\0\(username)\0\(password)".utf8).base64EncodedString()
            _ = try await say("AUTH PLAIN \(token)", 235, shown: "AUTH")
        }
        _ = try await say("MAIL FROM:<\(from)>", 250)
        for rcpt in to { _ = try await say("RCPT TO:<\(rcpt)>", 250) }
        _ = try await say("DATA", 354)
        // Dot-stuffing: a line that starts with "." gets another (RFC 5321 4.5.2).
        let stuffed = data.components(separatedBy: "\r\n").map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n")
        let ending = stuffed.hasSuffix("\r\n") ? "" : "\r\n"
        _ = try await say(stuffed + ending + ".", 250, shown: "the message")
        try? await channel.writeAndFlush(ByteBuffer(string: "QUIT\r\n")).get()
    }
}

/// One reply: its code and text lines (a multi-line reply joined).
struct SMTPReply: Sendable {
    var code: Int
    var lines: [String]
    var text: String { lines.joined(separator: " ") }
    /// Whether an EHLO reply lists `keyword` as an extension.
    func has(_ keyword: String) -> Bool {
        lines.contains { $0.uppercased() == keyword || $0.uppercased().hasPrefix(keyword + " ") }
    }
}

/// Splits the byte stream into replies (`250-…` continues, `250 …` ends).
final class SMTPReplyDecoder: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let out: AsyncStream<Result<SMTPReply, any Error>>.Continuation
    // Touched only on the channel's event loop.
    private var pending = ""
    private var lines: [String] = []

    init(_ out: AsyncStream<Result<SMTPReply, any Error>>.Continuation) { self.out = out }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readString(length: buffer.readableBytes) ?? ""
        while let end = pending.range(of: "\r\n") {
            let line = String(pending[..<end.lowerBound])
            pending.removeSubrange(..<end.upperBound)
            let chars = Array(line)
            guard chars.count >= 3, let code = Int(String(chars[0..<3])) else {
                out.yield(.failure(SMTPClient.Failure(description: "not an SMTP reply: \(line.prefix(80))")))
                continue
            }
            lines.append(chars.count > 4 ? String(chars[4...]) : "")
            if chars.count == 3 || chars[3] == " " {
                out.yield(.success(SMTPReply(code: code, lines: lines)))
                lines = []
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        out.yield(.failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        out.finish()
        context.fireChannelInactive()
    }
}

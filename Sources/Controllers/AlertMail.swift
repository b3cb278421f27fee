import Foundation
import KubeCore
import SerinAPI

/// One notification as an Internet message (RFC 5322), for the `email` provider.
struct AlertMail: Sendable {
    var message: AlertMessage
    var email: AlertProviderEmail

    /// The summary line, on one line (a newline in a header would start a new header).
    var subject: String {
        AlertPayload.summary(message).replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }

    var bodyText: String {
        AlertPayload.textLines(message, bold: "") + "\n\nSent by Serin at \(KubeTime.format(message.timestamp)).\n"
    }

    /// Headers and body with CRLF line ends. ASCII text goes as is; anything else as base64
    /// so that no server needs 8BITMIME.
    func rendered(messageID: String) -> String {
        var headers = [
            "From: \(email.from)",
            "To: \(email.to.joined(separator: ", "))",
            "Subject: \(Self.encodedWord(subject))",
            "Date: \(Self.date(message.timestamp))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "X-Serin-Reason: \(message.reason)",
        ]
        let text = bodyText.replacingOccurrences(of: "\r\n", with: "\n")
        let body: String
        if text.allSatisfy(\.isASCII) {
            headers.append("Content-Transfer-Encoding: 7bit")
            body = text.replacingOccurrences(of: "\n", with: "\r\n")
        } else {
            headers.append("Content-Transfer-Encoding: base64")
            body = Data(text.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn,
                                                                  .endLineWithLineFeed]) + "\r\n"
        }
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + body
    }

    /// RFC 2047 `=?UTF-8?B?…?=` when the text is not plain ASCII.
    static func encodedWord(_ text: String) -> String {
        text.allSatisfy(\.isASCII) ? text : "=?UTF-8?B?\(Data(text.utf8).base64EncodedString())?="
    }

    /// RFC 5322 date, in UTC.
    static func date(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return f.string(from: d)
    }
}

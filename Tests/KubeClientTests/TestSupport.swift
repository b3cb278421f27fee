import Foundation

/// A fresh temporary directory, removed by `cleanup()`.
struct TempDir {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "serin-kubeclient-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let p = (path as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(
            atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// A throw-away self-signed certificate and key (test fixture, trusted by nothing).
enum Fixture {
    static let certPEM = """
        -----BEGIN CERTIFICATE-----
        MIIBjjCCATWgAwIBAgIUVbkPBUgt2pkGOdg8vQqjoFTH2hcwCgYIKoZIzj0EAwIw
        HDEaMBgGA1UEAwwRc2VyaW4tdGVzdC1jbGllbnQwIBcNMjYxMTIyMjAyMzEwWhgP
        MjEyNjEwMjkyMDIzMTBaMBwxGjAYBgNVBAMMEXNlcmluLXRlc3QtY2xpZW50MFkw
        EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEwZA4C6zMlQKBzq3drc3bsVEiywUCUMsv
        EZqyZX9VFwxJSwjuSpJO5CobxyuSe2nnYAYVnxOLe7GW16FNKZ+65qNTMFEwHQYD
        VR0OBBYEFCGV/mAoTmyNsRJU7C5r/W8SG8viMB8GA1UdIwQYMBaAFCGV/mAoTmyN
        sRJU7C5r/W8SG8viMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIg
        fezIYF0LgkFgR98yJ5ywZO+x9znnLvs54rfsEmmKYpMCIHQC5quwkRC70+nR4/Sr
        aVe+56u2lSK0zkYK/2B/ISHK
        -----END CERTIFICATE-----

        """
    static let keyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgb+2LVAkYS+TmWoF0
        cle8nl9QPG8vi8jyTVTJf5Xfnl2hRANCAATBkDgLrMyVAoHOrd2tzduxUSLLBQJQ
        yy8RmrJlf1UXDElLCO5Kkk7kKhvHK5J7aedgBhWfE4t7sZbXoU0pn7rm
        -----END PRIVATE KEY-----

        """
    static var certB64: String { Data(certPEM.utf8).base64EncodedString() }
    static var keyB64: String { Data(keyPEM.utf8).base64EncodedString() }
}

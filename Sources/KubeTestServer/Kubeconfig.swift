import Foundation

/// The kubeconfig that points kubectl (or KubeClient) at a test server.
enum Kubeconfig {
    static func render(server: String, caPEM: String, token: String, context: String) -> String {
        var lines = [
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            "- name: \(context)",
            "  cluster:",
            "    server: \(server)",
        ]
        if !caPEM.isEmpty {
            lines.append("    certificate-authority-data: \(Data(caPEM.utf8).base64EncodedString())")
        }
        lines += [
            "users:",
            "- name: \(context)",
            "  user:",
        ]
        // An empty token means "no authentication" (HTTP mode with token ""); kubectl still needs a user entry.
        lines.append(token.isEmpty ? "    {}" : "    token: \(token)")
        lines += [
            "contexts:",
            "- name: \(context)",
            "  context:",
            "    cluster: \(context)",
            "    user: \(context)",
            "    namespace: default",
            "current-context: \(context)",
            "",
        ]
        return lines.joined(separator: "\n")
    }
}

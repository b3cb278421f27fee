import Foundation
import KubeCore

/// Files the tests read: the repository's crds/ and the shared third-party CRDs next to the
/// checkout (never copied into the project).
enum TestFiles {
    /// The package root (this file is Tests/KubeSchemaTests/TestFiles.swift).
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).standardized.path }

    static func documents(_ relative: String) throws -> [JSONValue] {
        try JSONValue.documents(yaml: String(contentsOfFile: path(relative), encoding: .utf8)).filter { $0 != .null }
    }

    static func files(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path(directory)).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    static func crds(_ relative: String) throws -> [JSONValue] {
        try documents(relative).filter { $0["kind"] == "CustomResourceDefinition" }
    }

    /// The rollouts CRD a real v1.36.2 server refused (crds/rollouts.yaml at commit 9cc760a,
    /// kept as a fixture so a shallow clone has it too).
    static func oldRollouts() throws -> JSONValue {
        guard let crd = try crds("Tests/KubeSchemaTests/Fixtures/rollouts-9cc760a.yaml").first else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return crd
    }

    static let thirdPartyDirectories = ["../shared/thirdparty-crds", "../shared/thirdparty-crds/alt"]
}

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

    /// The rollouts CRD measured on a real v1.36.2 server (commit 9cc760a).
    static func oldRollouts() throws -> JSONValue {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        p.arguments = ["-C", root.path, "show", "9cc760a:crds/rollouts.yaml"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let docs = try JSONValue.documents(yaml: String(decoding: data, as: UTF8.self)).filter { $0["kind"] == "CustomResourceDefinition" }
        guard let crd = docs.first else { throw CocoaError(.fileReadCorruptFile) }
        return crd
    }

    static let thirdPartyDirectories = ["../shared/thirdparty-crds", "../shared/thirdparty-crds/alt"]
}

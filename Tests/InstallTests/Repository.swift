import Foundation
import KubeCore
import Testing

/// The repository's install files, read from disk as a user's `kubectl apply -k` would.
enum Repository {
    /// The repository root (this file is Tests/InstallTests/Repository.swift).
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func text(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }

    /// Every YAML document of a file (empty documents dropped).
    static func documents(_ relative: String) throws -> [JSONValue] {
        try JSONValue.documents(yaml: text(relative)).filter { $0 != .null }
    }

    /// File names in a directory of the repository, sorted.
    static func files(in directory: String, suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path(directory)).filter { $0.hasSuffix(suffix) }.sorted()
    }

    /// `resources:` of a kustomization.
    static func kustomizationResources(_ directory: String) throws -> [String] {
        let k = try #require(documents("\(directory)/kustomization.yaml").first)
        return (k["resources"].arrayValue ?? []).compactMap(\.stringValue)
    }

    /// Every CRD file `crds/kustomization.yaml` installs, with its CRD.
    static func crds() throws -> [(file: String, crd: JSONValue)] {
        try kustomizationResources("crds").map { file in
            (file, try #require(documents("crds/\(file)").first, "crds/\(file) is empty"))
        }
    }

    static func crd(plural: String) throws -> JSONValue? {
        try crds().first { $0.crd[path: ["spec", "names", "plural"]].stringValue == plural }?.crd
    }

    /// Every object `manifests/kustomization.yaml` lists (CRDs excluded: the `../crds` entry).
    static func manifestObjects() throws -> [JSONValue] {
        try kustomizationResources("manifests").filter { !$0.hasPrefix("..") }.flatMap { try documents("manifests/\($0)") }
    }

    static func object(_ objects: [JSONValue], kind: String, name: String? = nil) -> JSONValue? {
        objects.first { $0["kind"].stringValue == kind && (name == nil || $0.name == name) }
    }
}

/// A child process run to completion with its output captured (killed after `timeout`).
struct ProcessResult: Sendable, CustomStringConvertible {
    var status: Int32
    var output: String
    var description: String { "exit \(status)\n\(output)" }

    static func run(_ executable: String, _ args: [String], environment: [String: String]? = nil,
                    timeout: Duration = .seconds(60)) async throws -> ProcessResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        if let environment { p.environment = environment }
        let outPath = NSTemporaryDirectory() + "serin-install-\(UUID().uuidString).out"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let deadline = ContinuousClock.now + timeout
        while p.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        try? out.close()
        let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        return ProcessResult(status: p.terminationStatus, output: text)
    }
}

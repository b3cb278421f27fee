import Foundation
import KubeCore
import Testing

/// The Dockerfile cannot be built here (no container engine), so its promises are read
/// from the file: stages, pins, static stdlib, the non-root runtime, and agreement with the
/// Deployment that runs the image.
@Suite("Dockerfile and .dockerignore")
struct DockerfileTests {
    struct Stage {
        var from: String
        var name: String?
        var instructions: [(op: String, args: String)] = []
    }

    /// Instructions with line continuations joined and comments dropped, grouped by stage.
    static func stages() throws -> [Stage] {
        var stages: [Stage] = []
        var pending = ""
        for raw in try Repository.text("Dockerfile").split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") || (line.isEmpty && pending.isEmpty) { continue }
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
                continue
            }
            let full = pending + line
            pending = ""
            guard let space = full.firstIndex(of: " ") else { continue }
            let op = full[..<space].uppercased()
            let args = full[full.index(after: space)...].trimmingCharacters(in: .whitespaces)
            if op == "FROM" {
                let parts = args.split(separator: " ").map(String.init)
                let name = parts.count >= 3 && parts[1].uppercased() == "AS" ? parts[2] : nil
                stages.append(Stage(from: parts[0], name: name))
            } else if !stages.isEmpty {
                stages[stages.count - 1].instructions.append((op, args))
            }
        }
        return stages
    }

    @Test("multi-stage: a Swift builder with the static standard library, then a separate runtime")
    func multiStage() throws {
        let stages = try Self.stages()
        #expect(stages.count == 2)
        let build = try #require(stages.first)
        #expect(build.from.hasPrefix("swift:"), "builder \(build.from)")
        let runs = build.instructions.filter { $0.op == "RUN" }.map(\.args).joined(separator: "\n")
        #expect(runs.contains("swift build -c release"), "\(runs)")
        #expect(runs.contains("--static-swift-stdlib"), "\(runs)")
        #expect(runs.contains("--product serin"), "\(runs)")
    }

    @Test("base images pinned: exact versions, the runtime by digest too; builder toolchain = the project's")
    func pinned() async throws {
        let stages = try Self.stages()
        for s in stages {
            let tag = s.from.split(separator: "@").first.map(String.init) ?? s.from
            let version = tag.split(separator: ":").dropFirst().first.map(String.init) ?? ""
            #expect(!version.isEmpty && version != "latest", "\(s.from) is not pinned to a tag")
        }
        let runtime = try #require(stages.last)
        let digest = runtime.from.split(separator: "@").dropFirst().first.map(String.init) ?? ""
        let hex = digest.dropFirst("sha256:".count)
        #expect(digest.hasPrefix("sha256:") && hex.count == 64 && hex.allSatisfy(\.isHexDigit), "runtime \(runtime.from) lacks a sha256 digest")
        // The builder's Swift version is exact (x.y.z) and the one this repository builds with.
        let builder = try #require(stages.first).from
        let builderVersion = String(builder.dropFirst("swift:".count).prefix { $0 != "-" && $0 != "@" })
        #expect(builderVersion.split(separator: ".").count == 3, "builder \(builder) is not an exact Swift version")
        let swift = try await ProcessResult.run("/usr/bin/env", ["swift", "--version"])
        #expect(swift.output.contains("Swift version \(builderVersion) "), "builder \(builderVersion) vs local toolchain:\n\(swift.output)")
        // The binary links the builder's glibc: the runtime must be the same Debian release.
        if builder.contains("bookworm") { #expect(runtime.from.contains("debian12"), "\(builder) → \(runtime.from)") }
    }

    @Test("runtime: only the binary from the build stage, a numeric non-root user matching the Deployment, serin as entrypoint")
    func runtime() throws {
        let runtime = try #require(try Self.stages().last)
        let ops = runtime.instructions.map(\.op)
        #expect(!ops.contains("RUN"), "the runtime stage should add files, not run commands")
        for copy in runtime.instructions where copy.op == "COPY" || copy.op == "ADD" {
            #expect(copy.op == "COPY" && copy.args.hasPrefix("--from=build "), "\(copy.op) \(copy.args)")
        }
        let userLine = runtime.instructions.last { $0.op == "USER" }
        let user = try #require(userLine?.args, "no USER in the runtime stage")
        let uid = try #require(Int(user.split(separator: ":").first ?? ""), "USER \(user) is not numeric")
        #expect(uid != 0)
        let deployment = try #require(Repository.object(try Repository.manifestObjects(), kind: "Deployment"))
        let pod = deployment[path: ["spec", "template", "spec"]]
        let container = pod["containers"][0]
        let runAs = container[path: ["securityContext", "runAsUser"]].intValue ?? pod[path: ["securityContext", "runAsUser"]].intValue
        #expect(runAs == uid, "Deployment runAsUser \(runAs.map(String.init) ?? "unset") vs Dockerfile USER \(uid)")
        let entrypointLine = runtime.instructions.last { $0.op == "ENTRYPOINT" }
        let entrypoint = try #require(entrypointLine?.args, "no ENTRYPOINT")
        #expect(try JSONValue(parsing: entrypoint) == ["/usr/local/bin/serin"])
        // The Deployment passes arguments only, so the entrypoint stays the binary.
        #expect(container["command"] == .null)
        #expect(container["args"][0] == "operator")
        let exposed = Set((runtime.instructions.filter { $0.op == "EXPOSE" }.flatMap { $0.args.split(separator: " ") }).compactMap { Int($0) })
        let ports = Set((container["ports"].arrayValue ?? []).compactMap { $0["containerPort"].intValue })
        #expect(exposed == ports)
    }

    @Test(".dockerignore keeps build products and git history out of the context")
    func dockerignore() throws {
        let lines = try Repository.text(".dockerignore").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        let allowList = lines.contains("*")
        #expect(allowList || (lines.contains(".build") && lines.contains(".git")), "\(lines)")
        if allowList {
            for needed in ["!Package.swift", "!Package.resolved", "!Sources/", "!Tests/"] {
                #expect(lines.contains(needed), "\(needed) missing: the build needs it")
            }
            #expect(lines.contains("**/.build"))
        }
        // Everything the Dockerfile copies from the context is let through.
        let copies = try Self.stages().flatMap(\.instructions).filter { $0.op == "COPY" && !$0.args.hasPrefix("--from") }
        for c in copies {
            for source in c.args.split(separator: " ").dropLast() {
                let through = !allowList || lines.contains("!\(source)") || lines.contains("!\(source)/")
                #expect(through, "COPY \(source) is excluded by .dockerignore")
            }
        }
    }
}

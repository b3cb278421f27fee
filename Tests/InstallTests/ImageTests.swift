import Foundation
import KubeCore
import Testing

/// `hack/image` for real: buildah builds the OCI archive (from the debug binary the test
/// build already made: a release build would cost CI minutes), the test unpacks it, checks
/// its config against the Dockerfile, that it holds the binary and its libraries and no
/// shell, and runs `serin --version` and `serin operator --help` inside it (a chroot in
/// fresh mount and PID namespaces, as the image's non-root user when the test runs as root).
@Suite("hack/image: the OCI image built by buildah, unpacked and run", .serialized, .timeLimit(.minutes(3)),
       .enabled(if: ImageTools.present, "needs buildah, unshare and chroot (hack/setup installs buildah)"))
struct ImageTests {
    static let shells: Set<String> = ["sh", "bash", "dash", "ash", "zsh", "ksh", "busybox", "toybox"]
    /// Debug binary (unstripped ~110 MB, stripped far less) plus the Swift runtime libraries.
    static let sizeLimit = 200 * 1024 * 1024

    static func json(_ dir: URL, _ digest: String) throws -> JSONValue {
        let hex = digest.split(separator: ":").last.map(String.init) ?? digest
        return try JSONValue(parsing: String(contentsOf: dir.appendingPathComponent("blobs/sha256/\(hex)"), encoding: .utf8))
    }

    /// The Dockerfile runtime stage's USER, ENTRYPOINT, CMD and EXPOSE.
    static func dockerfileRuntime() throws -> (user: String, entrypoint: JSONValue, cmd: JSONValue, ports: Set<String>) {
        let runtime = try #require(try DockerfileTests.stages().last)
        func last(_ op: String) -> String { runtime.instructions.last { $0.op == op }?.args ?? "" }
        let ports = Set(runtime.instructions.filter { $0.op == "EXPOSE" }.flatMap { $0.args.split(separator: " ").map(String.init) })
        return (last("USER"), try JSONValue(parsing: last("ENTRYPOINT")), try JSONValue(parsing: last("CMD")), ports)
    }

    @Test("built, unpacked and run: same path, user and entrypoint as the Dockerfile, no shell, bounded size")
    func builtUnpackedAndRun() async throws {
        let binary = Repository.root.appendingPathComponent(".build/debug/serin").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build first: \(binary) is missing")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("serin-image-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let archive = work.appendingPathComponent("serin.oci.tar")

        let built = try await ProcessResult.run(Repository.path("hack/image"),
                                                ["--binary", binary, "--output", archive.path, "--tag", "serin:test"],
                                                timeout: .seconds(120))
        try #require(built.status == 0, "\(built)")
        let size = (try FileManager.default.attributesOfItem(atPath: archive.path)[.size] as? Int) ?? 0
        #expect(size > 1024 * 1024 && size < Self.sizeLimit, "image \(size / 1024 / 1024) MB")

        // The OCI layout: index → manifest → config and layers.
        let layout = work.appendingPathComponent("layout")
        try FileManager.default.createDirectory(at: layout, withIntermediateDirectories: true)
        let untar = try await ProcessResult.run("/usr/bin/tar", ["-xf", archive.path, "-C", layout.path])
        try #require(untar.status == 0, "\(untar)")
        let index = try JSONValue(parsing: String(contentsOf: layout.appendingPathComponent("index.json"), encoding: .utf8))
        #expect(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == "serin:test")
        let manifest = try Self.json(layout, try #require(index["manifests"][0]["digest"].stringValue))
        let config = try Self.json(layout, try #require(manifest["config"]["digest"].stringValue))["config"]

        let docker = try Self.dockerfileRuntime()
        #expect(config["User"] == .string(docker.user))
        #expect(config["Entrypoint"] == docker.entrypoint)
        #expect(config["Cmd"] == docker.cmd)
        let exposed = Set(config["ExposedPorts"].objectValue?.keys.map { $0.split(separator: "/").first.map(String.init) ?? $0 } ?? [])
        #expect(exposed == docker.ports)
        let entry = try #require(docker.entrypoint[0].stringValue)
        // The Dockerfile installs the binary at the same path.
        #expect(try Repository.text("Dockerfile").contains("/out\(entry)"))

        let root = work.appendingPathComponent("rootfs")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for layer in manifest["layers"].arrayValue ?? [] {
            let hex = layer["digest"].stringValue?.split(separator: ":").last.map(String.init) ?? ""
            let r = try await ProcessResult.run("/usr/bin/tar", ["-xf", layout.appendingPathComponent("blobs/sha256/\(hex)").path,
                                                                 "-C", root.path])
            try #require(r.status == 0, "\(r)")
        }

        // What is inside: the binary, its link, shared libraries, and a few files of /etc.
        var files: [String] = []
        let walker = FileManager.default.enumerator(atPath: root.path)
        while let rel = walker?.nextObject() as? String { files.append("/" + rel) }
        let named = files.filter { Self.shells.contains(URL(fileURLWithPath: $0).lastPathComponent) }
        #expect(named.isEmpty, "shells in the image: \(named)")
        #expect(!files.contains("/bin") && !files.contains("/usr/bin") && !files.contains("/sbin"))
        let allowedEtc: Set<String> = ["/etc/passwd", "/etc/group", "/etc/ld.so.conf", "/etc/ld.so.cache", "/etc/ssl/certs/ca-certificates.crt"]
        for f in files {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: root.path + f, isDirectory: &isDir), isDir.boolValue { continue }
            let ok = f == entry || f == "/usr/local/bin/kubectl-serin" || f.contains(".so") || allowedEtc.contains(f)
            #expect(ok, "unexpected file in the image: \(f)")
        }
        let passwd = try String(contentsOf: root.appendingPathComponent("etc/passwd"), encoding: .utf8)
        #expect(passwd.contains(":\(docker.user.split(separator: ":")[0]):"))

        // Run it inside: /proc is mounted fresh (Swift reads its arguments from there), as a runtime would.
        try FileManager.default.createDirectory(at: root.appendingPathComponent("proc"), withIntermediateDirectories: true)
        let asRoot = getuid() == 0
        func inside(_ args: [String]) async throws -> ProcessResult {
            let ns = (asRoot ? [] : ["--user", "--map-root-user"]) + ["--mount", "--pid", "--fork", "--mount-proc=\(root.path)/proc"]
            let chroot = ["/usr/sbin/chroot"] + (asRoot ? ["--userspec=\(docker.user)"] : []) + [root.path, entry]
            return try await ProcessResult.run("/usr/bin/unshare", ns + chroot + args, environment: [:], timeout: .seconds(30))
        }
        let version = try await inside(["--version"])
        let host = try await ProcessResult.run(binary, ["--version"])
        #expect(version.status == 0 && !version.output.isEmpty && version.output == host.output, "\(version) vs \(host)")
        let help = try await inside(["operator", "--help"])
        #expect(help.status == 0 && help.output.contains("USAGE: serin operator"), "\(help)")
        // It reaches its own code, not a loader error: a missing kubeconfig is its own message.
        let noCluster = try await inside(["operator", "--kubeconfig", "/nonexistent"])
        #expect(noCluster.status != 0 && noCluster.output.contains("cannot read kubeconfig"), "\(noCluster)")
    }
}

/// What `hack/image` and the test need on the machine.
enum ImageTools {
    static var present: Bool {
        ["/usr/bin/buildah", "/usr/bin/unshare", "/usr/sbin/chroot", "/usr/bin/tar"].allSatisfy {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }
}

import ArgumentParser
import Foundation

/// `serin lint FILE…`: offline, no cluster needed.
struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check Canary, MetricTemplate, AnalysisTemplate, AnalysisRun, Rollout and AlertProvider manifests offline.",
        discussion: """
            Each message names the file, the document, the field and the fix. The API server's verdict comes \
            from the CRDs Serin serves (unknown fields are refused, as kubectl's strict field validation does), \
            then the operator's own checks; Flagger and Argo Rollouts features Serin lacks are named as not \
            supported. Other kinds in the files \
            (Deployments, Services …) are skipped. A directory stands for its *.yaml and *.yml files; - reads \
            standard input. Exits 1 when there is an error.
            """)

    @Argument(help: "Manifest files or directories.") var files: [String]
    @Option(help: "The operator's --provider, for Canaries that name none.") var provider = "istio"
    @Flag(name: [.short, .long], help: "Print problems only, not the documents that are fine.") var quiet = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one file") }
    }

    func run() throws {
        let sources = try Self.read(files)
        let report = ManifestLinter(defaultProvider: provider).lint(sources)
        CLIOutput.current.write(report.render(quiet: quiet))
        if report.errorCount > 0 { throw ExitCode(1) }
    }

    static func read(_ paths: [String]) throws -> [(file: String, text: String)] {
        var out: [(file: String, text: String)] = []
        for path in paths {
            if path == "-" {
                let data = FileHandle.standardInput.readDataToEndOfFile()
                out.append(("<stdin>", String(decoding: data, as: UTF8.self)))
                continue
            }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw CLIError("\(path): no such file")
            }
            let files: [String]
            if isDir.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                    .map { (path as NSString).appendingPathComponent($0) }
            } else {
                files = [path]
            }
            for file in files {
                do {
                    out.append((file, try String(contentsOfFile: file, encoding: .utf8)))
                } catch {
                    throw CLIError("\(file): cannot read: \(error.localizedDescription)")
                }
            }
        }
        return out
    }
}

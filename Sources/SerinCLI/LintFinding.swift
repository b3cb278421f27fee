/// One thing `serin lint` found: where (file, document, object, field), what, and the fix.
struct LintFinding: Sendable, Hashable {
    enum Severity: String, Sendable { case error, warning }

    var severity: Severity = .error
    var file: String
    /// 1-based index of the YAML document in the file; 0 for the whole file.
    var document: Int
    /// `Canary microservices/podinfo`, or `document` when the kind or name is unknown.
    var subject: String
    /// Field path, e.g. `spec.analysis.stepWeight`; empty for the whole document.
    var path: String
    var message: String
    var fix: String?
    /// Lines shown under the message (an expression with a caret under the error).
    var excerpt: [String] = []

    var rendered: String {
        // Document 0: the file as a whole (it could not be split into documents).
        var head = document == 0 ? "\(file): \(severity.rawValue): " : "\(file): document \(document), \(subject): \(severity.rawValue): "
        head += path.isEmpty ? message : "\(path): \(message)"
        var lines = [head]
        lines += excerpt.map { "      " + $0 }
        if let fix { lines.append("    fix: \(fix)") }
        return lines.joined(separator: "\n")
    }
}

/// What lint saw, in order, and how to print it.
struct LintReport: Sendable {
    var findings: [LintFinding] = []
    /// `file: document N, Kind ns/name: ok` for documents with no problem.
    var clean: [String] = []
    var documents = 0
    var skipped = 0
    var files = 0

    var errorCount: Int { findings.filter { $0.severity == .error }.count }
    var warningCount: Int { findings.filter { $0.severity == .warning }.count }

    func render(quiet: Bool) -> String {
        var out = ""
        if !quiet { for line in clean { out += line + "\n" } }
        for f in findings { out += f.rendered + "\n" }
        var summary = "\(files) file\(files == 1 ? "" : "s"), \(documents) document\(documents == 1 ? "" : "s")"
        if skipped > 0 { summary += " (\(skipped) not Serin's, skipped)" }
        summary += ": \(errorCount) error\(errorCount == 1 ? "" : "s")"
        if warningCount > 0 { summary += ", \(warningCount) warning\(warningCount == 1 ? "" : "s")" }
        return out + summary + "\n"
    }
}

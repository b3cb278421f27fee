import ArgumentParser
import Foundation
import KubeCore
import SerinAPI

/// `serin get`: Canaries, Rollouts and Experiments in one table, like `kubectl get`.
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "List Canaries, Rollouts and Experiments with their phase, weight, step and failed checks.",
        discussion: "A kind whose CRD is not installed is skipped. For an Experiment, STEP is its templates available and CHECKS its runs that ended badly.")

    @OptionGroup var cluster: ClusterOptions

    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "List across all namespaces.")
    var allNamespaces = false

    @Option(help: "Only this kind (canary or rollout).")
    var kind: ResourceKind?

    func run() async throws {
        let out = CLIOutput.current
        let text = try await cluster.withSession { session in
            try await Self.render(session: session, allNamespaces: allNamespaces, only: kind, now: Date())
        }
        out.write(text.table)
        for note in text.notes { out.errorLine(note) }
    }

    /// The table (or kubectl's "No resources found" line) and notes for stderr.
    static func render(session: ClusterSession, allNamespaces: Bool, only: ResourceKind?, now: Date) async throws
        -> (table: String, notes: [String])
    {
        let namespace: String? = allNamespaces ? nil : session.namespace
        var rows: [ResourceSummary] = []
        var missing: [ResourceKind] = []
        for kind in only.map({ [$0] }) ?? ResourceKind.allCases {
            do {
                let list = try await session.api.list(kind.resource, namespace: namespace)
                rows += list.items.map { ResourceSummary(kind: kind, object: $0) }
            } catch let e as KubeAPIError where e.isNotFound {
                missing.append(kind)  // the CRD is not installed: nothing of this kind can exist
            }
        }
        // Experiments (with every kind, not with --kind): a missing CRD is an older install, not worth a note.
        if only == nil, let list = try? await session.api.list(.experiments, namespace: namespace) {
            rows += list.items.map { ResourceSummary(experiment: $0) }
        }
        var notes: [String] = []
        if missing.count == (only == nil ? ResourceKind.allCases.count : 1) {
            notes.append("note: the \(missing.map(\.kindName).joined(separator: " and ")) CRD is not installed on \(session.server) (kubectl apply -k crds/)")
        }
        guard !rows.isEmpty else {
            let scope = allNamespaces ? "" : " in \(session.namespace) namespace"
            return ("No resources found\(scope).\n", notes)
        }
        rows.sort { ($0.namespace, $0.kindName, $0.name) < ($1.namespace, $1.kindName, $1.name) }
        var table = TextTable((allNamespaces ? ["NAMESPACE"] : []) + ResourceSummary.headers)
        for r in rows { table.add((allNamespaces ? [r.namespace] : []) + r.cells(now: now)) }
        return (table.render(), notes)
    }
}

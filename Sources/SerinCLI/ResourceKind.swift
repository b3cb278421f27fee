import ArgumentParser
import KubeCore
import SerinAPI

/// The two kinds the CLI acts on.
enum ResourceKind: String, CaseIterable, Sendable, ExpressibleByArgument {
    case canary
    case rollout

    init?(argument: String) {
        switch argument.lowercased() {
        case "canary", "canaries", "cn", "canary.serin.dev", "canaries.serin.dev": self = .canary
        case "rollout", "rollouts", "ro", "rollout.serin.dev", "rollouts.serin.dev": self = .rollout
        default: return nil
        }
    }

    static var allValueStrings: [String] { ["canary", "rollout"] }

    var resource: ResourceType {
        switch self {
        case .canary: return .canaries
        case .rollout: return .rollouts
        }
    }

    var kindName: String {
        switch self {
        case .canary: return "Canary"
        case .rollout: return "Rollout"
        }
    }
}

/// A Canary or Rollout found by name.
struct ResolvedObject: Sendable {
    var kind: ResourceKind
    var object: JSONValue

    var name: String { object["metadata"]["name"].stringValue ?? "" }
    var namespace: String { object["metadata"]["namespace"].stringValue ?? "" }
    /// `Canary microservices/podinfo`.
    var title: String { "\(kind.kindName) \(namespace)/\(name)" }
}

enum ObjectResolver {
    /// Splits `canary/NAME` or `rollout/NAME` (kubectl's TYPE/NAME form); a plain NAME has no kind.
    static func split(_ argument: String) throws -> (ResourceKind?, String) {
        guard let slash = argument.firstIndex(of: "/") else { return (nil, argument) }
        let type = String(argument[..<slash])
        let name = String(argument[argument.index(after: slash)...])
        guard let kind = ResourceKind(argument: type), !name.isEmpty else {
            throw CLIError("\"\(argument)\": expected NAME, canary/NAME or rollout/NAME")
        }
        return (kind, name)
    }

    /// Finds NAME as a Canary or a Rollout in the namespace. With a kind (from `--kind` or
    /// `TYPE/NAME`), only that kind is looked up.
    static func resolve(_ argument: String, kind explicit: ResourceKind?, session: ClusterSession) async throws
        -> ResolvedObject
    {
        let (fromName, name) = try split(argument)
        if let a = explicit, let b = fromName, a != b {
            throw CLIError("\"\(argument)\" names a \(b.kindName) but --kind says \(a.rawValue)")
        }
        let kinds = (explicit ?? fromName).map { [$0] } ?? ResourceKind.allCases
        var found: [ResolvedObject] = []
        for kind in kinds {
            do {
                let object = try await session.api.get(kind.resource, namespace: session.namespace, name: name)
                found.append(ResolvedObject(kind: kind, object: object))
            } catch let e as KubeAPIError where e.isNotFound {
                continue  // no such object, or the kind's CRD is not installed
            }
        }
        switch found.count {
        case 1:
            return found[0]
        case 0:
            let what = kinds.map(\.kindName).joined(separator: " or ")
            throw CLIError("no \(what) named \"\(name)\" in namespace \(session.namespace) "
                + "(list them with `serin get`, or pick the namespace with -n)")
        default:
            throw CLIError("both a Canary and a Rollout are named \"\(name)\" in namespace \(session.namespace); "
                + "add --kind canary or --kind rollout")
        }
    }
}

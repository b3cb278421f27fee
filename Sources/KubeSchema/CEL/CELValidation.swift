import KubeCore
import Synchronization

/// Runs a custom resource's x-kubernetes-validations rules as kube-apiserver does on
/// create and update (apiextensions schema/cel/validation.go): rule, message,
/// messageExpression, reason, fieldPath, transition rules and ratcheting of unchanged values.
public enum CELValidation {
    /// celconfig.RuntimeCELCostBudget, for all rules of one object.
    static let runtimeBudget: UInt64 = 10_000_000

    /// `object` as stored (pruned and defaulted), `old` the stored object on update.
    public static func causes(schema: JSONValue, object: JSONValue, old: JSONValue?) -> [APIStatus.Cause] {
        guard let root = CELRuleTree.cached(schema) else { return [] }
        var v = Validator()
        v.walk(object, old: old, node: root, path: "", isRoot: true)
        return v.causes
    }

    private struct Validator {
        var causes: [APIStatus.Cause] = []
        var remaining = runtimeBudget
        var stopped = false

        /// `converted` is the value as CEL sees it when an enclosing node already built it.
        mutating func walk(_ value: JSONValue, old: JSONValue?, node: CELRuleTree, path: String, isRoot: Bool, converted: CELValue? = nil) {
            if stopped || value.isNull { return }
            // Ratcheting: a value left as it was is not re-validated.
            if let old, old == value { return }
            var celValue = converted
            if !node.rules.isEmpty, let decl = node.decl {
                if celValue == nil { celValue = CELValue.from(value, decl) }
                evaluate(celValue!, old: old, node: node, path: path)
            }
            switch value {
            case .object(let o):
                var fields: [String: CELValue]?
                var entries: [CELKey: CELValue]?
                switch celValue {
                case .object(let f)?: fields = f
                case .map(let m)?: entries = m
                default: break
                }
                for (name, child) in node.properties {
                    if isRoot, ["metadata", "apiVersion", "kind"].contains(name) { continue }
                    if let v = o[name] {
                        let c = fields.flatMap { f in CELNames.escape(name).flatMap { f[$0] } }
                        walk(v, old: old?[name], node: child, path: join(path, name), isRoot: false, converted: c)
                    }
                }
                if let child = node.additional {
                    for (k, v) in o.sorted(by: { $0.key < $1.key }) {
                        walk(v, old: old?.objectValue?[k], node: child, path: "\(path.isEmpty ? "<nil>" : path)[\(k)]", isRoot: false,
                             converted: entries?[.string(k)])
                    }
                }
            case .array(let a):
                guard let child = node.items else { return }
                let olds = old?.arrayValue
                var items: [CELValue]?
                if case .list(let l)? = celValue, l.count == a.count { items = l }
                for (i, v) in a.enumerated() {
                    var o: JSONValue?
                    if let keys = node.listMapKeys, let olds {
                        o = olds.first { e in keys.allSatisfy { e[$0] == v[$0] } }
                    }
                    walk(v, old: o, node: child, path: "\(path.isEmpty ? "<nil>" : path)[\(i)]", isRoot: false, converted: items?[i])
                }
            default:
                break
            }
        }

        private func join(_ p: String, _ k: String) -> String { p.isEmpty ? k : "\(p).\(k)" }

        mutating func evaluate(_ selfValue: CELValue, old: JSONValue?, node: CELRuleTree, path: String) {
            guard let decl = node.decl else { return }
            // The root is reported as a nil field.Path prints: "<nil>".
        let field = path.isEmpty ? "<nil>" : path
            var oldValue: CELValue?
            for rule in node.rules {
                guard let program = rule.program else { continue }
                if program.isTransitionRule, old == nil, !rule.optionalOldSelf { continue }
                var vars: [String: CELValue] = ["self": selfValue]
                if program.isTransitionRule {
                    if let old, oldValue == nil { oldValue = CELValue.from(old, decl) }
                    if rule.optionalOldSelf {
                        vars["oldSelf"] = .optional(oldValue)
                    } else if let oldValue {
                        vars["oldSelf"] = oldValue
                    }
                }
                var it = CELInterpreter(variables: vars, limit: min(CELInterpreter.perCallLimit, remaining))
                let result: Result<CELValue, CELEvalError>
                do { result = .success(try it.eval(program.checked.expr)) } catch { result = .failure(error) }
                remaining -= min(remaining, it.cost)
                switch result {
                case .failure(let err):
                    if err.message == CELEvalError.costExceeded.message {
                        if remaining == 0 {
                            causes.append(invalid(field, node.typeName, "validation failed due to running out of cost budget, no further validation rules will be run"))
                        } else {
                            causes.append(invalid(field, node.typeName, "'\(err.message)': no further validation rules will be run due to call cost exceeds limit for rule: \(rule.errorString)"))
                        }
                        stopped = true
                        return
                    }
                    if err.message.hasPrefix("no such overload") {
                        causes.append(invalid(field, node.typeName, "'\(err.message)': call arguments did not match a supported operator, function or macro signature for rule: \(rule.errorString)"))
                    } else {
                        causes.append(invalid(field, node.typeName, "\(err.message) evaluating rule: \(rule.errorString)"))
                    }
                case .success(.bool(true)):
                    continue
                case .success:
                    var target = field
                    if let fp = rule.fieldPath, !fp.isEmpty {
                        let rel = fp.hasPrefix(".") ? String(fp.dropFirst()) : fp
                        target = path.isEmpty ? rel : rel.hasPrefix("[") ? path + rel : "\(path).\(rel)"
                    }
                    var detail = rule.defaultMessage
                    if let me = rule.messageExpression {
                        var mi = CELInterpreter(variables: vars, limit: min(CELInterpreter.perCallLimit, remaining))
                        if case .string(let s)? = try? mi.eval(me.checked.expr), !s.allSatisfy(\.isWhitespace), !s.contains("\n") {
                            detail = s.trimmingSpaces
                        }
                        remaining -= min(remaining, mi.cost)
                    }
                    switch rule.reason {
                    case "FieldValueForbidden": causes.append(APIStatus.Cause(type: "FieldValueForbidden", message: "Forbidden: \(detail)", field: target))
                    case "FieldValueRequired": causes.append(APIStatus.Cause(type: "FieldValueRequired", message: "Required value: \(detail)", field: target))
                    case "FieldValueDuplicate": causes.append(APIStatus.Cause(type: "FieldValueDuplicate", message: "Duplicate value: \"\(node.typeName)\"", field: target))
                    default: causes.append(invalid(target, node.typeName, detail))
                    }
                }
            }
        }

        private func invalid(_ field: String, _ typeName: String, _ detail: String) -> APIStatus.Cause {
            APIStatus.Cause(type: "FieldValueInvalid", message: "Invalid value: \"\(typeName)\": \(detail)", field: field)
        }
    }
}

/// The schema nodes that carry rules (and the path to them), with the rules compiled once.
final class CELRuleTree: Sendable {
    struct Rule: Sendable {
        let program: CELProgram?
        let messageExpression: CELProgram?
        let source: String
        let message: String
        let reason: String?
        let fieldPath: String?
        /// Transition rule run on create too, `oldSelf` an optional.
        let optionalOldSelf: Bool

        var errorString: String { message.isEmpty ? source.trimmingSpaces : message.trimmingSpaces }
        var defaultMessage: String { message.isEmpty ? "failed rule: \(errorString)" : message.trimmingSpaces }
    }

    let typeName: String
    let decl: CELDeclType?
    let rules: [Rule]
    let properties: [(String, CELRuleTree)]
    let additional: CELRuleTree?
    let items: CELRuleTree?
    /// Keys of an `x-kubernetes-list-type: map` list: the only lists whose items correlate with the old object.
    let listMapKeys: [String]?

    private init(typeName: String, decl: CELDeclType?, rules: [Rule], properties: [(String, CELRuleTree)], additional: CELRuleTree?, items: CELRuleTree?, listMapKeys: [String]?) {
        self.typeName = typeName
        self.decl = decl
        self.rules = rules
        self.properties = properties
        self.additional = additional
        self.items = items
        self.listMapKeys = listMapKeys
    }

    private struct Cache {
        /// Schemas seen last, compared with `==`: a served resource passes the same stored
        /// value each time, and equal storage compares without walking the schema.
        var recent: [(JSONValue, CELRuleTree?)] = []
        var byValue: [JSONValue: CELRuleTree?] = [:]
    }

    private static let cache = Mutex(Cache())

    static func cached(_ schema: JSONValue) -> CELRuleTree? {
        if let hit = cache.withLock({ c in c.recent.first { $0.0 == schema } }) { return hit.1 }
        let tree: CELRuleTree?
        if let known = cache.withLock({ $0.byValue[schema] }) { tree = known } else { tree = build(schema, isRoot: true) }
        cache.withLock { c in
            if c.byValue.count > 256 { c.byValue.removeAll() }
            c.byValue[schema] = .some(tree)
            c.recent.insert((schema, tree), at: 0)
            if c.recent.count > 16 { c.recent.removeLast() }
        }
        return tree
    }

    /// nil when neither the node nor anything under it has rules.
    static func build(_ s: JSONValue, isRoot: Bool) -> CELRuleTree? {
        guard s.objectValue != nil else { return nil }
        var props: [(String, CELRuleTree)] = []
        for (name, p) in (s["properties"].objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let t = build(p, isRoot: false) { props.append((name, t)) }
        }
        let additional = s["additionalProperties"].objectValue != nil ? build(s["additionalProperties"], isRoot: false) : nil
        let items = s["items"].objectValue != nil ? build(s["items"], isRoot: false) : nil
        let raw = s["x-kubernetes-validations"].arrayValue ?? []
        if raw.isEmpty, props.isEmpty, additional == nil, items == nil { return nil }
        var decl: CELDeclType?
        var rules: [Rule] = []
        if !raw.isEmpty, let d = CELSchemaTypes.declType(s, isResourceRoot: isRoot || s["x-kubernetes-embedded-resource"].boolValue == true) {
            decl = d
            for r in raw {
                let source = r["rule"].stringValue ?? ""
                let optional = r["optionalOldSelf"].boolValue == true
                let program = try? CELCompiler.compile(source, decl: d, optionalOldSelf: optional).get()
                let me = r["messageExpression"].stringValue.flatMap { try? CELCompiler.compile($0, decl: d, expect: .string).get() }
                rules.append(Rule(program: program, messageExpression: me, source: source, message: r["message"].stringValue ?? "",
                                  reason: r["reason"].stringValue, fieldPath: r["fieldPath"].stringValue, optionalOldSelf: optional))
            }
        }
        let keys = s["x-kubernetes-list-type"].stringValue == "map" ? (s["x-kubernetes-list-map-keys"].arrayValue ?? []).compactMap(\.stringValue) : nil
        return CELRuleTree(typeName: s["type"].stringValue ?? "", decl: decl, rules: rules, properties: props, additional: additional, items: items, listMapKeys: keys)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}

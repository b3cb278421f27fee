/// The static worst-case cost of a checked expression: a port of cel-go checker/cost.go
/// with Kubernetes' library estimator (apiserver/pkg/cel/library/cost.go) and the
/// schema size estimator (apiextensions compilation.go), presence tests free as
/// Kubernetes configures them.
struct CELCostEstimator {
    struct Node {
        var path: [String]?
        var type: CELType
        var expr: CELExpr?
        var computedSize: CELSizeEstimate?
    }

    private struct EntrySize {
        var isList: Bool
        var key: CELSizeEstimate
        var val: CELSizeEstimate
        func union(_ o: EntrySize?) -> EntrySize? {
            guard let o else { return nil }
            return EntrySize(isList: isList, key: key.union(o.key), val: val.union(o.val))
        }
    }

    private struct LocalVar {
        var path: [String]?
        var size: CELSizeEstimate?
        var entrySize: EntrySize?
    }

    private let checked: CELChecked
    private let root: CELDeclType
    private var exprPaths: [Int: [String]] = [:]
    private var localVars: [String: [LocalVar]] = [:]
    private var computedSizes: [Int: CELSizeEstimate] = [:]
    private var computedEntrySizes: [Int: EntrySize] = [:]
    private let presenceTestCost = CELCostEstimate.zero

    static func estimate(_ checked: CELChecked, root: CELDeclType) -> CELCostEstimate {
        var c = CELCostEstimator(checked: checked, root: root)
        return c.cost(checked.expr)
    }

    private init(checked: CELChecked, root: CELDeclType) {
        self.checked = checked
        self.root = root
    }

    private func type(_ e: CELExpr) -> CELType { checked.types[e.id] ?? .dyn }

    private mutating func cost(_ e: CELExpr) -> CELCostEstimate {
        switch e.kind {
        case .literal: return .fixed(CELCostConstants.const_)
        case .ident(let name):
            if let v = localVars[name]?.last { exprPaths[e.id] = v.path } else { exprPaths[e.id] = [name] }
            return .fixed(CELCostConstants.selectAndIdent)
        case .select(let operand, let field, let testOnly):
            if testOnly { return presenceTestCost.add(cost(operand)) }
            var sum = cost(operand)
            switch type(operand) {
            case .map, .object: sum = sum.add(.fixed(CELCostConstants.selectAndIdent))
            default: break
            }
            exprPaths[e.id] = (path(operand) ?? []) + [field]
            return sum
        case .call(let fn, let target, let args):
            return costCall(e, fn, target, args)
        case .list(let items):
            var sum = CELCostEstimate.zero
            var itemSize = CELSizeEstimate(min: items.isEmpty ? 0 : .max, max: 0)
            for item in items {
                sum = sum.add(cost(item))
                itemSize = itemSize.union(sizeOrUnknown(item))
            }
            computedEntrySizes[e.id] = EntrySize(isList: true, key: .fixed(1), val: itemSize)
            return sum.add(.fixed(CELCostConstants.listCreateBase))
        case .map(let entries):
            var sum = CELCostEstimate.zero
            var keySize = CELSizeEstimate(min: entries.isEmpty ? 0 : .max, max: 0)
            var valSize = keySize
            for en in entries {
                sum = sum.add(cost(en.key)).add(cost(en.value))
                keySize = keySize.union(sizeOrUnknown(en.key))
                valSize = valSize.union(sizeOrUnknown(en.value))
            }
            computedEntrySizes[e.id] = EntrySize(isList: false, key: keySize, val: valSize)
            return sum.add(.fixed(CELCostConstants.mapCreateBase))
        case .comprehension(let c):
            if isBind(c) { return costBind(e, c) }
            return costComprehension(e, c)
        }
    }

    private func isBind(_ c: CELComprehension) -> Bool {
        guard case .list(let items) = c.iterRange.kind, items.isEmpty, case .literal(.bool(false)) = c.loopCondition.kind else { return false }
        return c.accuVar != CELOp.accumulator
    }

    /// Bindings are lazily initialised: the empty range and the initialiser are still counted.
    private mutating func costBind(_ e: CELExpr, _ c: CELComprehension) -> CELCostEstimate {
        var sum = cost(c.iterRange).add(cost(c.accuInit))
        localVars[c.accuVar, default: []].append(LocalVar(path: path(c.accuInit), size: computeSize(c.accuInit), entrySize: computeEntrySize(c.accuInit)))
        sum = sum.add(cost(c.result))
        localVars[c.accuVar]?.removeLast()
        if let s = computeSize(c.result) { computedSizes[e.id] = s }
        if let s = computeEntrySize(c.result) { computedEntrySizes[e.id] = s }
        return sum
    }

    private mutating func costComprehension(_ e: CELExpr, _ c: CELComprehension) -> CELCostEstimate {
        var sum = cost(c.iterRange)
        sum = sum.add(cost(c.accuInit))
        localVars[c.accuVar, default: []].append(LocalVar(path: path(c.accuInit), size: computeSize(c.accuInit), entrySize: computeEntrySize(c.accuInit)))
        // The single iteration variable: list items, or map keys.
        let entry = computeEntrySize(c.iterRange)
        var isList = entry?.isList
        if isList == nil {
            if case .list = type(c.iterRange) { isList = true } else { isList = false }
        }
        let rangePath = path(c.iterRange) ?? []
        if let v2 = c.iterVar2 {
            // pushIterKey / pushIterValue: indices or keys, then items or values.
            localVars[c.iterVar, default: []].append(LocalVar(path: rangePath + [isList == true ? "@indices" : "@keys"], size: entry?.key))
            localVars[v2, default: []].append(LocalVar(path: rangePath + [isList == true ? "@items" : "@values"], size: entry?.val))
        } else {
            let iterSize = isList == true ? entry?.val : entry?.key
            localVars[c.iterVar, default: []].append(LocalVar(path: rangePath + [isList == true ? "@items" : "@keys"], size: iterSize))
        }
        let loopCost = cost(c.loopCondition)
        let stepCost = cost(c.loopStep)
        localVars[c.iterVar]?.removeLast()
        if let v2 = c.iterVar2 { localVars[v2]?.removeLast() }
        sum = sum.add(cost(c.result))
        localVars[c.accuVar]?.removeLast()
        let rangeCount = sizeOrUnknown(c.iterRange)
        sum = sum.add(rangeCount.multiply(stepCost.add(loopCost)))
        switch c.accuInit.kind {
        case .literal:
            if let s = computeSize(c.accuInit) { computedSizes[e.id] = s }
        case .list, .map:
            computedSizes[e.id] = rangeCount
            if let s = computeEntrySize(c.loopStep) { computedEntrySizes[e.id] = s }
        default: break
        }
        return sum
    }

    private mutating func costCall(_ e: CELExpr, _ fn: String, _ target: CELExpr?, _ args: [CELExpr]) -> CELCostEstimate {
        if fn == "dyn", args.count == 1 {
            let c = cost(args[0])
            if let s = computeSize(args[0]) { computedSizes[e.id] = s }
            if let s = computeEntrySize(args[0]) { computedEntrySizes[e.id] = s }
            return CELCostEstimate.fixed(1).add(c)
        }
        var argCosts: [CELCostEstimate] = []
        var argNodes: [Node] = []
        for a in args {
            argCosts.append(cost(a))
            argNodes.append(newNode(a))
        }
        guard let ids = checked.overloads[e.id], !ids.isEmpty else { return .zero }
        var sum = CELCostEstimate.zero
        var targetNode: Node?
        if let target {
            sum = sum.add(cost(target))
            targetNode = newNode(target)
        }
        var fnCost = CELCostEstimate(min: .max, max: 0)
        var resultSize: CELSizeEstimate?
        for id in ids {
            let (c, rs) = functionCost(e, fn, id, targetNode, argNodes, argCosts)
            fnCost = fnCost.union(c)
            if let rs { resultSize = resultSize.map { $0.union(rs) } ?? rs }
            if id == "index_list" || id == "index_map", !args.isEmpty {
                resultSize = computeEntrySize(args[0])?.val
                exprPaths[e.id] = (path(args[0]) ?? []) + [id == "index_list" ? "@items" : "@values"]
            }
            if resultSize == nil { resultSize = computeSize(e) }
        }
        if let resultSize { computedSizes[e.id] = resultSize }
        return sum.add(fnCost)
    }

    private mutating func functionCost(_ e: CELExpr, _ fn: String, _ id: String, _ target: Node?, _ args: [Node], _ argCosts: [CELCostEstimate]) -> (CELCostEstimate, CELSizeEstimate?) {
        let argSum = argCosts.reduce(CELCostEstimate.zero) { $0.add($1) }
        // cel-go ext sets registers its own estimators, consulted before the library's.
        if id.hasPrefix("list_sets_"), args.count == 2 {
            let factor = id == "list_sets_equivalent_list" ? 2.0 : 1.0
            let c = sizeEstimate(args[0]).multiply(sizeEstimate(args[1])).multiplyByCostFactor(factor).add(.fixed(1))
            return (c.add(argSum), nil)
        }
        if let (c, rs) = libraryCost(fn, id, target, args) { return (c.add(argSum), rs) }
        let tf = CELCostConstants.stringTraversalFactor
        switch id {
        case "string_to_bytes" where args.count == 1:
            let sz = sizeOrUnknown(args[0])
            return (sz.multiplyByCostFactor(tf).add(argSum), CELSizeEstimate(min: sz.min, max: satMul(sz.max, 4)))
        case "bytes_to_string" where args.count == 1:
            let sz = sizeOrUnknown(args[0])
            return (sz.multiplyByCostFactor(tf).add(argSum), CELSizeEstimate(min: sz.min / 4, max: sz.max))
        case "starts_with_string", "ends_with_string":
            if args.count == 1 { return (sizeOrUnknown(args[0]).multiplyByCostFactor(tf).add(argSum), nil) }
        case "in_list":
            if args.count == 2 { return (sizeOrUnknown(args[1]).multiplyByCostFactor(1).add(argSum), nil) }
        case "matches_string":
            if let target, args.count == 1 {
                let strCost = sizeOrUnknown(target).add(.fixed(1)).multiplyByCostFactor(tf)
                let regexCost = sizeOrUnknown(args[0]).multiplyByCostFactor(CELCostConstants.regexStringLengthFactor)
                return (strCost.multiply(regexCost).add(argSum), nil)
            }
        case "contains_string":
            if let target, args.count == 1 {
                let strCost = sizeOrUnknown(target).multiplyByCostFactor(tf)
                let subCost = sizeOrUnknown(args[0]).multiplyByCostFactor(tf)
                return (strCost.multiply(subCost).add(argSum), nil)
            }
        case "logical_or", "logical_and":
            let lhs = argCosts[0], rhs = argCosts[1]
            return (CELCostEstimate(min: lhs.min, max: lhs.add(rhs).max), nil)
        case "conditional":
            let size = sizeOrUnknown(args[1]).union(sizeOrUnknown(args[2]))
            if let l = args[1].expr.flatMap({ computeEntrySize($0) }), let r = l.union(args[2].expr.flatMap({ computeEntrySize($0) })) {
                computedEntrySizes[e.id] = r
            }
            return (argCosts[0].add(argCosts[1].union(argCosts[2])), size)
        case "add_string", "add_bytes", "add_list":
            if args.count == 2 {
                let result = sizeOrUnknown(args[0]).add(sizeOrUnknown(args[1]))
                if let l = args[0].expr.flatMap({ computeEntrySize($0) }), let r = l.union(args[1].expr.flatMap({ computeEntrySize($0) })) {
                    computedEntrySizes[e.id] = r
                }
                if id == "add_list" { return (CELCostEstimate.fixed(1).add(argSum), result) }
                return (result.multiplyByCostFactor(tf).add(argSum), result)
            }
        case "less_string", "greater_string", "less_equals_string", "greater_equals_string",
             "less_bytes", "greater_bytes", "less_equals_bytes", "greater_equals_bytes", "equals", "not_equals":
            let l = sizeOrUnknown(args[0]), r = sizeOrUnknown(args[1])
            let smallestMax = Swift.min(l.max, r.max)
            let c = CELCostEstimate(min: smallestMax > 0 ? 1 : 0, max: smallestMax)
            return (c.multiplyByCostFactor(tf).add(argSum), nil)
        default: break
        }
        return (CELCostEstimate.fixed(1).add(argSum), nil)
    }

    /// Kubernetes' library.CostEstimator.EstimateCallCost (keyed on the function name).
    private func libraryCost(_ fn: String, _ id: String, _ target: Node?, _ args: [Node]) -> (CELCostEstimate, CELSizeEstimate?)? {
        let tf = CELCostConstants.stringTraversalFactor
        switch fn {
        case "isSorted", "sum", "max", "min", "indexOf", "lastIndexOf":
            guard let target else { return nil }
            if let el = listElementNode(target) {
                var elCost = CELCostEstimate.fixed(1)
                if el.type == .string || el.type == .bytes { elCost = elCost.add(sizeEstimate(el).multiplyByCostFactor(tf)) }
                return (sizeEstimate(target).multiply(elCost), nil)
            }
            return (sizeEstimate(target).multiplyByCostFactor(tf), nil)
        case "url":
            guard args.count == 1 else { return nil }
            return (sizeEstimate(args[0]).multiplyByCostFactor(tf), nil)
        case "lowerAscii", "upperAscii", "substring", "trim":
            guard let target else { return nil }
            let sz = sizeEstimate(target)
            return (sz.multiplyByCostFactor(tf), sz)
        case "replace":
            guard let target, args.count >= 2 else { return nil }
            let sz = sizeEstimate(target), toReplace = sizeEstimate(args[0]), with = sizeEstimate(args[1])
            var count = CELSizeEstimate.zero, retained = CELSizeEstimate.zero
            if toReplace.min == 0 {
                count.max = sz.max < .max ? sz.max + 1 : sz.max
                retained.max = sz.max
            } else if with.max <= toReplace.min {
                retained.max = sz.max
            } else {
                count.max = costFactor(sz.max, 1 / Double(toReplace.min))
            }
            if toReplace.max == 0 {
                count.min = sz.min < .max ? sz.min + 1 : sz.min
                retained.min = sz.min
            } else if toReplace.max <= with.min {
                retained.min = sz.min
            } else {
                count.min = costFactor(sz.min, 1 / Double(toReplace.max))
            }
            let size = count.multiply(with).add(retained)
            return (sz.multiplyByCostFactor(2 * tf), size)
        case "split":
            guard let target else { return nil }
            let sz = sizeEstimate(target)
            var max = sz.max
            if args.count > 1, let ex = args[1].expr, case .literal(let l) = ex.kind {
                switch l {
                case .int(let v): max = UInt64(bitPattern: v)
                case .uint(let v): max = v
                default: break
                }
            }
            return (sz.multiplyByCostFactor(2 * tf), CELSizeEstimate(min: 0, max: max))
        case "join":
            guard let target else { return nil }
            var sz = CELSizeEstimate.zero
            let listSize = sizeEstimate(target)
            if let el = listElementNode(target) { sz = listSize.multiply(sizeEstimate(el)) }
            if !args.isEmpty {
                let sep = sizeEstimate(args[0])
                let seps = CELSizeEstimate(min: listSize.min > 0 ? listSize.min - 1 : 0, max: listSize.max > 0 ? listSize.max - 1 : 0)
                sz = sz.add(sep.multiply(seps))
            }
            return (sz.multiplyByCostFactor(tf), sz)
        case "find", "findAll":
            guard let target, !args.isEmpty else { return nil }
            let sz = sizeEstimate(target)
            let strCost = sz.add(.fixed(1)).multiplyByCostFactor(tf)
            let regexCost = sizeEstimate(args[0]).multiplyByCostFactor(CELCostConstants.regexStringLengthFactor)
            return (strCost.multiply(regexCost), CELSizeEstimate(min: 0, max: sz.max))
        case "cidr", "isIP", "isCIDR":
            guard target != nil, !args.isEmpty else { return nil }
            return (sizeEstimate(args[0]).multiplyByCostFactor(tf), nil)
        case "ip":
            guard let _ = target else { return nil }
            if !args.isEmpty, id != "cidr_ip" { return (sizeEstimate(args[0]).multiplyByCostFactor(tf), nil) }
            return (.fixed(1), nil)
        case "ip.isCanonical":
            guard target != nil, !args.isEmpty else { return nil }
            return (sizeEstimate(args[0]).multiplyByCostFactor(2 * tf), nil)
        case "masked", "prefixLength", "family", "isUnspecified", "isLoopback", "isLinkLocalMulticast", "isLinkLocalUnicast":
            return (.fixed(1), nil)
        case "containsIP", "containsCIDR":
            guard target != nil, !args.isEmpty else { return nil }
            let sz = CELSizeEstimate(min: 4, max: 16)
            var c = sz.add(sz).multiplyByCostFactor(tf)
            if fn == "containsCIDR" { c = c.add(sz.multiplyByCostFactor(tf)).add(.fixed(1)) }
            if id == "cidr_contains_ip_string" || id == "cidr_contains_cidr_string" { c = c.add(sizeEstimate(args[0]).multiplyByCostFactor(tf)) }
            return (c, nil)
        case "quantity", "isQuantity":
            guard target != nil, !args.isEmpty else { return nil }
            return (sizeEstimate(args[0]).multiplyByCostFactor(tf), nil)
        case "sign", "asInteger", "isInteger", "asApproximateFloat", "isGreaterThan", "isLessThan", "compareTo", "add", "sub":
            return (.fixed(1), nil)
        default:
            return nil
        }
    }

    private func sizeEstimate(_ n: Node) -> CELSizeEstimate {
        if let s = n.computedSize { return s }
        if let s = estimateSize(n.path) { return s }
        return .unknown
    }

    private func listElementNode(_ list: Node) -> Node? {
        guard case .list(let el) = list.type else { return nil }
        return Node(path: list.path.map { $0 + ["@items"] }, type: el, expr: nil, computedSize: nil)
    }

    /// The schema bound of the value at `path` (apiextensions sizeEstimator): the first
    /// element names the variable and is skipped.
    private func estimateSize(_ path: [String]?) -> CELSizeEstimate? {
        guard let path, !path.isEmpty else { return nil }
        var node = root
        for name in path.dropFirst() {
            switch name {
            case "@items", "@values":
                guard let el = node.elem else { return nil }
                node = el
            case "@keys":
                guard node.kind == .map else { return nil }
                node = CELDeclType.mapKey
            default:
                guard let f = node.fields[name] else { return nil }
                node = f.type
            }
        }
        return CELSizeEstimate(min: 0, max: UInt64(node.maxElements))
    }

    private func path(_ e: CELExpr) -> [String]? {
        if case .ident(let name) = e.kind, let v = localVars[name]?.last { return v.path }
        return exprPaths[e.id]
    }

    private mutating func newNode(_ e: CELExpr) -> Node {
        var p = path(e)
        if let first = p?.first, first == CELOp.accumulator || first == "__result__" { p = nil }
        return Node(path: p, type: type(e), expr: e, computedSize: computeSize(e))
    }

    private mutating func sizeOrUnknown(_ e: CELExpr) -> CELSizeEstimate { computeSize(e) ?? .unknown }
    private func sizeOrUnknown(_ n: Node) -> CELSizeEstimate { n.computedSize ?? .unknown }

    private mutating func computeSize(_ e: CELExpr) -> CELSizeEstimate? {
        if let s = computedSizes[e.id] { return s }
        switch e.kind {
        case .literal(let l):
            switch l {
            case .string(let s): return .fixed(UInt64(s.unicodeScalars.count))
            case .bytes(let b): return .fixed(UInt64(b.count))
            default: return .fixed(1)
            }
        case .list(let items): return .fixed(UInt64(items.count))
        case .map(let entries): return .fixed(UInt64(entries.count))
        default: break
        }
        if let s = estimateSize(path(e)) {
            computedSizes[e.id] = s
            return s
        }
        if type(e).isScalar { return .fixed(1) }
        if case .ident(let name) = e.kind, let v = localVars[name]?.last, let s = v.size { return s }
        return nil
    }

    private func computeEntrySize(_ e: CELExpr) -> EntrySize? {
        if let s = computedEntrySizes[e.id] { return s }
        if case .ident(let name) = e.kind, let v = localVars[name]?.last, let s = v.entrySize { return s }
        return nil
    }
}

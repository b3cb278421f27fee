/// Cost and size ranges with the saturating arithmetic of cel-go's checker/cost.go.
struct CELCostEstimate: Equatable, Sendable {
    var min: UInt64
    var max: UInt64

    static func fixed(_ v: UInt64) -> CELCostEstimate { CELCostEstimate(min: v, max: v) }
    static let unknown = CELCostEstimate(min: 0, max: .max)
    static let zero = fixed(0)

    func add(_ o: CELCostEstimate) -> CELCostEstimate { CELCostEstimate(min: satAdd(min, o.min), max: satAdd(max, o.max)) }
    func multiply(_ o: CELCostEstimate) -> CELCostEstimate { CELCostEstimate(min: satMul(min, o.min), max: satMul(max, o.max)) }
    func multiplyByCostFactor(_ f: Double) -> CELCostEstimate { CELCostEstimate(min: costFactor(min, f), max: costFactor(max, f)) }
    func union(_ o: CELCostEstimate) -> CELCostEstimate { CELCostEstimate(min: Swift.min(min, o.min), max: Swift.max(max, o.max)) }
}

/// Sizes share the representation: number of characters, bytes, list items or map entries.
typealias CELSizeEstimate = CELCostEstimate

/// cel-go common/cost.go constants.
enum CELCostConstants {
    static let selectAndIdent: UInt64 = 1
    static let const_: UInt64 = 0
    static let listCreateBase: UInt64 = 10
    static let mapCreateBase: UInt64 = 30
    static let stringTraversalFactor = 0.1
    static let regexStringLengthFactor = 0.25
}

func satAdd(_ x: UInt64, _ y: UInt64) -> UInt64 {
    let (r, o) = x.addingReportingOverflow(y)
    return o ? .max : r
}

func satMul(_ x: UInt64, _ y: UInt64) -> UInt64 {
    let (r, o) = x.multipliedReportingOverflow(by: y)
    return o ? .max : r
}

/// Multiplies by a factor and rounds up, saturating (cel-go multiplyByCostFactor).
func costFactor(_ x: UInt64, _ f: Double) -> UInt64 {
    let xf = Double(x)
    if xf > 0, f > 0, xf > Double(UInt64.max) / f { return .max }
    let c = (xf * f).rounded(.up)
    if c >= 18_446_744_073_709_551_616.0 { return .max }
    return UInt64(c)
}

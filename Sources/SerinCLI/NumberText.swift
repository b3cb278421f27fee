import Foundation

/// Metric values for people: `99`, `97.25`, `0.0012`, `NaN`.
enum NumberText {
    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.4g", v)
    }
}

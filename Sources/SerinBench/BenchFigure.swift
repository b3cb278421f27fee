import Foundation
import KubeCore

/// One measured figure, next to its target when it has one.
public struct BenchFigure: Sendable {
    public enum Target: Sendable {
        case none
        case atMost(Double)
        case atLeast(Double)
        case exactly(Double)

        var text: String {
            switch self {
            case .none: return "-"
            case .atMost(let v): return "<= \(BenchFigure.format(v))"
            case .atLeast(let v): return ">= \(BenchFigure.format(v))"
            case .exactly(let v): return "= \(BenchFigure.format(v))"
            }
        }

        func met(by value: Double) -> Bool? {
            switch self {
            case .none: return nil
            case .atMost(let t): return value <= t
            case .atLeast(let t): return value >= t
            case .exactly(let t): return abs(value - t) < 1e-9
            }
        }
    }

    public var figure: String
    public var value: Double
    public var unit: String
    public var target: Target
    /// How it was measured, in a few words (shown in the table).
    public var note: String

    public init(_ figure: String, _ value: Double, _ unit: String, target: Target = .none, note: String = "") {
        self.figure = figure
        self.value = value
        self.unit = unit
        self.target = target
        self.note = note
    }

    public var met: Bool? { target.met(by: value) }

    /// `{"figure":…,"value":…,"unit":…,"target":…,"met":…}` on one line.
    public var jsonLine: String {
        var o: JSONValue = [
            "figure": .string(figure), "value": value.isFinite ? .double((value * 1000).rounded() / 1000) : .null,
            "unit": .string(unit),
        ]
        switch target {
        case .none: o["target"] = .null
        default: o["target"] = .string(target.text)
        }
        o["met"] = met.map(JSONValue.bool) ?? .null
        if !note.isEmpty { o["note"] = .string(note) }
        return o.serialized()
    }

    static func format(_ v: Double) -> String {
        if !v.isFinite { return "n/a" }
        if v == v.rounded(), abs(v) < 1e12 { return String(Int64(v)) }
        if abs(v) >= 100 { return String(format: "%.1f", v) }
        if abs(v) >= 1 { return String(format: "%.2f", v) }
        return String(format: "%.4f", v)
    }

    /// A fixed-width table of the figures.
    public static func table(_ figures: [BenchFigure]) -> String {
        let rows = figures.map { f -> [String] in
            let met = f.met.map { $0 ? "yes" : "NO" } ?? "-"
            return [f.figure, format(f.value) + " " + f.unit, f.target.text + (f.target.text == "-" ? "" : " " + f.unit), met, f.note]
        }
        let header = ["figure", "value", "target", "met", "how"]
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < 4 { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i < 4 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0) : c }
                .joined(separator: "  ")
        }
        return ([line(header), line(widths.map { String(repeating: "-", count: $0) } + ["---"])] + rows.map(line))
            .joined(separator: "\n")
    }
}

/// Percentiles of a sample (nearest rank).
enum Stats {
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
    }
}

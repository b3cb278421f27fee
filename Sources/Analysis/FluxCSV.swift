import Foundation

/// InfluxDB's annotated CSV (the answer of `POST /api/v2/query` to a Flux query): tables of
/// records, each table led by `#datatype`, `#group` and `#default` annotation rows and a
/// header row, tables apart by a blank line. An error table (`error,reference` columns) is
/// InfluxDB saying the query failed after the answer began.
enum FluxCSV {
    /// Every record's `_value`, in answer order, typed by the table's `#datatype`.
    static func values(_ text: String) throws -> [ExprValue] {
        var out: [ExprValue] = []
        var types: [String] = [], defaults: [String] = [], header: [String]? = nil
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" }) {
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : String(rawLine)
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                types = []; defaults = []; header = nil
                continue
            }
            let cells = row(line)
            if let first = cells.first, first.hasPrefix("#") {
                if first == "#datatype" { types = cells; header = nil }
                if first == "#default" { defaults = cells }
                continue
            }
            guard let columns = header else {
                header = cells
                continue
            }
            if columns.contains("error") && columns.contains("reference") {
                let i = columns.firstIndex(of: "error")!
                throw MetricSpecError("InfluxDB: \(i < cells.count ? cells[i] : "the query failed")")
            }
            guard let i = columns.firstIndex(of: "_value") else { continue }
            var cell = i < cells.count ? cells[i] : ""
            if cell.isEmpty, i < defaults.count { cell = defaults[i] }
            out.append(typed(cell, type: i < types.count ? types[i] : "string"))
        }
        return out
    }

    static func typed(_ cell: String, type: String) -> ExprValue {
        if cell.isEmpty && type != "string" { return .null }
        switch type {
        case "double", "long", "unsignedLong":
            return Double(cell).map(ExprValue.number) ?? .string(cell)
        case "boolean": return .bool(cell == "true")
        default: return .string(cell)
        }
    }

    /// One CSV row (RFC 4180 quoting, `""` inside quotes).
    static func row(_ line: String) -> [String] {
        var cells: [String] = [], cell = "", quoted = false
        let it = Array(line)
        var i = 0
        while i < it.count {
            let c = it[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < it.count && it[i + 1] == "\"" { cell.append("\""); i += 1 } else { quoted = false }
                } else {
                    cell.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                cells.append(cell); cell = ""
            } else {
                cell.append(c)
            }
            i += 1
        }
        cells.append(cell)
        return cells
    }
}

extension ExprValue {
    /// The number, when the value is one.
    var asNumber: Double? {
        if case .number(let d) = self { return d }
        return nil
    }
}

/// A kubectl-style table: upper-case headers, columns padded to their widest cell and three
/// spaces apart, the last column not padded.
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: [String]) { self.headers = headers }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render(indent: String = "") -> String {
        let all = [headers] + rows
        let count = headers.count
        var widths = Array(repeating: 0, count: count)
        for row in all {
            for (i, cell) in row.prefix(count).enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        var out = ""
        for row in all {
            var line = indent
            for i in 0..<count {
                let cell = i < row.count ? row[i] : ""
                if i == count - 1 {
                    line += cell
                } else {
                    line += cell + String(repeating: " ", count: widths[i] - cell.count + 3)
                }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}

import Foundation

/// The scale and steady benchmarks' findings as they come in, printed at the end as a Markdown table for
/// BENCHMARKS.md, followed by notes.
struct ScaleReport {
    private var rows: [[String]] = []
    private var notes: [String] = []
    /// The scheduled rotations' rate, once measured.
    var cohortRate: Double?

    /// A table row: what was measured, the figure, and the target or comparison.
    mutating func row(_ measurement: String, _ figure: String, _ target: String) {
        rows.append([measurement, figure, target])
        Swift.print("  \(measurement): \(figure)")
        fflush(nil)
    }

    /// A line under the table.
    mutating func note(_ text: String) {
        notes.append(text)
        Swift.print("  \(text)")
        fflush(nil)
    }

    func print(header: String) {
        Swift.print("\n\(header)\n")
        Swift.print("| measurement | figure | target / comparison |")
        Swift.print("| --- | --- | --- |")
        for row in rows { Swift.print("| " + row.joined(separator: " | ") + " |") }
        Swift.print("")
        for note in notes { Swift.print("- \(note)") }
    }
}

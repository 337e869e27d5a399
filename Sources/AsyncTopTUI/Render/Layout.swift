/// Where each part of the dashboard goes on a screen of a given size.
struct Layout {
    /// Smaller screens get a message instead of the dashboard.
    static let minimumRows = 12
    static let minimumCols = 40
    static let headerRows = 4
    /// Screens this tall or taller show a strip of executors under the tasks.
    static let executorStripMinimumRows = 24
    static let executorStripRows = 4

    let rows: Int

    /// The row of the task table's column titles.
    var columnTitleRow: Int { Self.headerRows }
    var firstTaskRow: Int { Self.headerRows + 1 }
    /// The last row; a screen of no rows has it at 0, where nothing is drawn.
    var footerRow: Int { max(0, rows - 1) }
    var executorStripRows: Int { rows >= Self.executorStripMinimumRows ? Self.executorStripRows : 0 }
    var executorStripTop: Int { max(firstTaskRow, footerRow - executorStripRows) }
    /// How many task rows fit.
    var taskRows: Int { max(0, executorStripTop - firstTaskRow) }
    /// The rows a full-height pane (details, help, executors) may use.
    /// Empty on a screen too short for one (a window of four rows or fewer).
    var bodyRows: Range<Int> { Self.headerRows..<max(Self.headerRows, footerRow) }

    /// The lints pane: its title and column titles, the list, then the selected lint in
    /// full in the last rows (up to five, fewer on a short screen).
    var lintDetailRows: Int { min(5, max(0, bodyRows.count - 3)) }
    var lintColumnTitleRow: Int { Self.headerRows + 1 }
    var firstLintRow: Int { Self.headerRows + 2 }
    var lintRows: Int { max(1, bodyRows.count - 2 - lintDetailRows) }

    static func fits(rows: Int, cols: Int) -> Bool { rows >= minimumRows && cols >= minimumCols }
}

/// The task table's columns and their widths for a screen width.
///
/// Name and "waiting on" share what the fixed columns leave; on narrow screens the least
/// useful fixed columns go first. WHERE, shown on request, takes their room; where even
/// without them it leaves too little, it goes first and the table is the one without it.
struct TaskColumns {
    enum Column: CaseIterable {
        case id, state, name, waitingOn, waitsAt, executor, age, busy, steps, latency

        var title: String {
            switch self {
            case .id: "ID"
            case .state: "STATE"
            case .name: "NAME"
            case .waitingOn: "WAITING ON"
            case .waitsAt: "WHERE"
            case .executor: "EXECUTOR"
            case .age: "AGE"
            case .busy: "BUSY"
            case .steps: "STEPS"
            case .latency: "LAT"
            }
        }

        var fixedWidth: Int? {
            switch self {
            case .id: 7
            case .state: 12
            case .name, .waitingOn: nil
            case .executor: 10
            case .waitsAt: 18
            case .age, .busy, .steps, .latency: 7
            }
        }

        var alignsRight: Bool { ![.state, .name, .waitingOn, .waitsAt, .executor].contains(self) }
    }

    /// Columns in order, each with its start column and width.
    let layout: [(column: Column, start: Int, width: Int)]

    /// - Parameter showsWhere: whether the WHERE column is wanted (it may not fit).
    init(cols: Int, showsWhere: Bool = false) {
        var columns = Self.fitted(Column.allCases.filter { $0 != .waitsAt }, cols)
        if showsWhere {
            let withWhere = Self.fitted(Column.allCases, cols)
            if Self.flexibleWidth(withWhere, cols) >= Self.minimumFlexible { columns = withWhere }
        }
        let flexible = max(2, Self.flexibleWidth(columns, cols))
        let nameWidth = flexible * 11 / 20
        var start = 0
        var layout: [(Column, Int, Int)] = []
        for column in columns {
            let width = column.fixedWidth ?? (column == .name ? nameWidth : flexible - nameWidth)
            layout.append((column, start, width))
            start += width + 1
        }
        self.layout = layout
    }

    /// The least room name and "waiting on" get before fixed columns go.
    private static let minimumFlexible = 30

    /// `columns` without the least useful fixed ones, as many as it takes to leave name and
    /// "waiting on" ``minimumFlexible`` columns (or all of them, when even that is not enough).
    private static func fitted(_ columns: [Column], _ cols: Int) -> [Column] {
        var columns = columns
        for dropped in [Column.executor, .latency, .busy, .age] {
            if flexibleWidth(columns, cols) >= minimumFlexible { break }
            columns.removeAll { $0 == dropped }
        }
        return columns
    }

    private static func flexibleWidth(_ columns: [Column], _ cols: Int) -> Int {
        cols - columns.compactMap(\.fixedWidth).reduce(0, +) - (columns.count - 1)
    }
}

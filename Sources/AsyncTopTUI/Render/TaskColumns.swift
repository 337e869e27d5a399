/// The task table's columns and their widths for a screen width.
///
/// Name and "waiting on" share what the fixed columns leave; on narrow screens the least
/// useful fixed columns go first.
struct TaskColumns {
    enum Column: CaseIterable {
        case id, state, name, waitingOn, executor, age, busy, steps, latency

        var title: String {
            switch self {
            case .id: "ID"
            case .state: "STATE"
            case .name: "NAME"
            case .waitingOn: "WAITING ON"
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
            case .age, .busy, .steps, .latency: 7
            }
        }

        var alignsRight: Bool { ![.state, .name, .waitingOn, .executor].contains(self) }
    }

    /// Columns in order, each with its start column and width.
    let layout: [(column: Column, start: Int, width: Int)]

    init(cols: Int) {
        let minimumFlexible = 30
        var columns = Column.allCases
        for dropped in [Column.executor, .latency, .busy, .age] {
            if Self.flexibleWidth(columns, cols) >= minimumFlexible { break }
            columns.removeAll { $0 == dropped }
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

    private static func flexibleWidth(_ columns: [Column], _ cols: Int) -> Int {
        cols - columns.compactMap(\.fixedWidth).reduce(0, +) - (columns.count - 1)
    }
}

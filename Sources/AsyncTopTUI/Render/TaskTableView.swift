import AsyncTopModel

/// The task list: column titles and the visible rows only, as a tree or flat.
struct TaskTableView {
    let context: RenderContext

    func draw(into screen: inout Screen) {
        let columns = TaskColumns(cols: context.cols, showsWhere: context.state.showsWhere)
        let titleRow = context.layout.columnTitleRow, theme = context.theme
        screen.paint(row: titleRow, style: theme.columnTitles)
        for (column, start, width) in columns.layout {
            screen.put(column.title.padded(to: width, ellipsis: context.glyphs.ellipsis, alignRight: column.alignsRight),
                       at: (titleRow, start), style: theme.columnTitles)
        }
        let list = context.list
        guard !list.rows.isEmpty else {
            let why = context.state.filter == .all ? "No tasks." : "No \(context.state.filter.rawValue) tasks."
            screen.put(why, at: (context.layout.firstTaskRow, 1), style: theme.dim)
            return
        }
        let visible = context.layout.taskRows
        let selected = context.state.selectionRow(in: list)
        let top = Self.firstVisibleRow(scrollTop: context.state.scrollTop, selected: selected,
                                       count: list.rows.count, visible: visible)
        for (offset, row) in (top..<min(list.rows.count, top + visible)).enumerated() {
            let screenRow = context.layout.firstTaskRow + offset
            drawRow(list.rows[row], at: screenRow, columns: columns, into: &screen)
            if row == selected { screen.paint(row: screenRow, style: theme.selection) }
        }
    }

    /// The first row to show: the stored scroll position, moved just enough to show the selection.
    static func firstVisibleRow(scrollTop: Int, selected: Int?, count: Int, visible: Int) -> Int {
        var top = min(max(0, scrollTop), max(0, count - visible))
        if let selected {
            if selected < top { top = selected }
            if selected >= top + visible { top = selected - visible + 1 }
        }
        return top
    }

    private func drawRow(_ row: TaskRow, at screenRow: Int, columns: TaskColumns, into screen: inout Screen) {
        let task = context.snapshot.tasks[row.taskIndex], theme = context.theme
        let faded = task.state.isFinished || !row.matchesFilter
        let base = faded ? theme.dim : Style.plain
        let ellipsis = context.glyphs.ellipsis
        for (column, start, width) in columns.layout {
            switch column {
            case .name:
                drawName(task, row, at: (screenRow, start), width: width, base: base, into: &screen)
            case .state:
                let style = faded ? theme.state(task.state.kind).adding(.dim) : theme.state(task.state.kind)
                screen.put(context.stateLabel(task).padded(to: width, ellipsis: ellipsis), at: (screenRow, start), style: style)
            default:
                let text = cellText(column, task).padded(to: width, ellipsis: ellipsis, alignRight: column.alignsRight)
                screen.put(text, at: (screenRow, start), style: base)
            }
        }
    }

    private func drawName(_ task: TaskInfo, _ row: TaskRow, at position: (row: Int, col: Int), width: Int,
                          base: Style, into screen: inout Screen) {
        var prefix = treePrefix(row)
        // Deep trees keep the innermost guides and leave at least 8 columns for the name.
        if prefix.count > width - 8 { prefix = String(prefix.suffix(max(0, width - 8))) }
        var col = screen.put(prefix, at: position, style: context.theme.treeGuides)
        var room = width - prefix.count
        if let severity = context.lints.severity(of: task.id), room > 2 {
            // The lint mark keeps its colour on finished (dimmed) rows: a lost error matters most there.
            col = screen.put("\(context.glyphs.lint) ", at: (position.row, col), style: context.theme.lint(severity))
            room -= 2
        }
        let mark = row.isCollapsed ? "\(context.glyphs.collapsed) " : ""
        screen.put((mark + task.displayName).truncated(to: room, ellipsis: context.glyphs.ellipsis), at: (position.row, col), style: base)
    }

    private func treePrefix(_ row: TaskRow) -> String {
        guard row.depth > 0 else { return "" }
        let glyphs = context.glyphs
        var prefix = ""
        for level in 0..<(row.depth - 1) {
            prefix += level < 64 && row.guides & (1 << UInt64(level)) != 0 ? glyphs.pipe : glyphs.gap
        }
        return prefix + (row.isLast ? glyphs.lastBranch : glyphs.branch)
    }

    private func cellText(_ column: TaskColumns.Column, _ task: TaskInfo) -> String {
        switch column {
        case .id: "\(task.id)"
        case .waitingOn: Self.waitingOn(task.state)
        case .waitsAt: task.stack?.innermost.map { $0.location ?? $0.function } ?? ""
        case .executor: task.executor
        case .age: formatDuration(context.age(of: task))
        case .busy: formatDuration(task.busy)
        case .steps: formatCount(Double(task.steps))
        case .latency: formatDuration(task.lastLatency)
        case .state, .name: ""
        }
    }

    /// What a suspended task waits on; for failed and cancelled tasks, the error or message.
    static func waitingOn(_ state: TaskState) -> String {
        switch state {
        case .suspended(let target): target.description
        case .failed(let error): error
        case .cancelled(let message): message ?? ""
        case .pending, .running, .done: ""
        }
    }
}

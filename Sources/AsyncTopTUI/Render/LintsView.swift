import AsyncTopModel

/// The lints pane: one lint per row (its kind, the task to look at, what is wrong) and the
/// selected one in full at the bottom. Enter goes to its task.
struct LintsView {
    let context: RenderContext

    static let empty = "No lints: no long steps, unacknowledged or swallowed cancellations, orphaned work, "
        + "unretrieved errors, deadlocks or reads waiting with no timeout."

    func draw(into screen: inout Screen) {
        let layout = context.layout, theme = context.theme, report = context.lints
        let top = layout.bodyRows.lowerBound
        var title = [Span("Lints", theme.label)]
        if !report.isEmpty { title.append(Span(" (\(report.count))", theme.value)) }
        title.append(Span("   " + thresholds, theme.dim))
        screen.put(title, at: (top, 1), maxCol: context.cols - 1)
        guard let selected = context.state.lintSelectionRow(in: report) else {
            for (offset, line) in wordWrap(Self.empty, width: context.cols - 4).prefix(max(0, layout.bodyRows.count - 2)).enumerated() {
                screen.put(line, at: (top + 2 + offset, 3), style: theme.dim)
            }
            return
        }
        let columns = Columns(cols: context.cols)
        let titleRow = layout.lintColumnTitleRow
        screen.paint(row: titleRow, style: theme.columnTitles)
        let titles = "   " + "KIND".padded(to: columns.kind + 1, ellipsis: context.glyphs.ellipsis)
            + "TASK".padded(to: columns.task + 1, ellipsis: context.glyphs.ellipsis) + (columns.message > 0 ? "MESSAGE" : "")
        screen.put(titles, at: (titleRow, 0), style: theme.columnTitles)
        let visible = layout.lintRows
        let first = TaskTableView.firstVisibleRow(scrollTop: context.state.lintScrollTop, selected: selected,
                                                  count: report.count, visible: visible)
        for (offset, index) in (first..<min(report.count, first + visible)).enumerated() {
            let row = layout.firstLintRow + offset
            drawRow(report.lints[index], at: row, columns: columns, into: &screen)
            if index == selected { screen.paint(row: row, style: theme.selection) }
        }
        drawDetail(report.lints[selected], into: &screen)
    }

    /// "long step > 100ms · cancel seen < 1.0s · error taken < 1.0s · read waits < 10.0s"
    private var thresholds: String {
        let limits = context.lints.thresholds
        return "long step > \(formatDuration(limits.longStep)) · cancel seen < \(formatDuration(limits.cancelAcknowledge))"
            + " · error taken < \(formatDuration(limits.errorRetrieve)) · read waits < \(formatDuration(limits.ioRead))"
    }

    /// Widths of the kind, task and message columns; narrow screens leave the message to
    /// the detail at the bottom.
    private struct Columns {
        let kind: Int, task: Int, message: Int

        init(cols: Int) {
            kind = cols >= 90 ? 23 : 13
            task = cols >= 90 ? 22 : 14
            let rest = cols - 1 - (3 + kind + 1 + task + 1)
            message = rest >= 12 ? rest : 0
        }
    }

    private func drawRow(_ lint: Lint, at row: Int, columns: Columns, into screen: inout Screen) {
        let theme = context.theme, ellipsis = context.glyphs.ellipsis
        let style = theme.lint(lint.kind.severity)
        screen.put(String(context.glyphs.lint), at: (row, 1), style: style)
        var col = screen.put(lint.kind.title.padded(to: columns.kind, ellipsis: ellipsis) + " ", at: (row, 3), style: style)
        col = screen.put(taskLabel(lint).padded(to: columns.task, ellipsis: ellipsis) + " ", at: (row, col))
        if columns.message > 0 {
            screen.put(shortMessage(lint).truncated(to: columns.message, ellipsis: ellipsis), at: (row, col))
        }
    }

    /// The selected lint in full, under a rule: kind, tasks, resources and start, then the
    /// message wrapped.
    private func drawDetail(_ lint: Lint, into screen: inout Screen) {
        let layout = context.layout, theme = context.theme, glyphs = context.glyphs
        let rows = layout.lintDetailRows
        guard rows >= 2 else { return }
        let top = layout.footerRow - rows
        screen.put(String(repeating: glyphs.box.horizontal, count: context.cols - 2), at: (top, 1), style: theme.dim)
        var facts: [String] = []
        if !lint.tasks.isEmpty { facts.append((lint.tasks.count == 1 ? "task " : "tasks ") + lint.tasks.map(String.init).joined(separator: ", ")) }
        if !lint.resources.isEmpty {
            facts.append(lint.resources.map { id in context.snapshot.resource(id)?.title ?? "resource #\(id)" }.joined(separator: ", "))
        }
        if let since = lint.since { facts.append("since \(formatSeconds(since))") }
        screen.put([Span(lint.kind.title, theme.lint(lint.kind.severity)), Span("  " + facts.joined(separator: " · "), theme.dim)],
                   at: (top + 1, 1), maxCol: context.cols - 1)
        let room = rows - 2
        guard room > 0 else { return }
        var lines = wordWrap(lint.message, width: context.cols - 4)
        if lines.count > room {
            lines = Array(lines.prefix(room))
            lines[room - 1] = (lines[room - 1] + " " + String(glyphs.ellipsis)).truncated(to: context.cols - 4, ellipsis: glyphs.ellipsis)
        }
        for (offset, line) in lines.enumerated() { screen.put(line, at: (top + 2 + offset, 3)) }
    }

    /// "worker-a (3)", "a (1) +2" for a deadlock of three, "-" for work no task awaits.
    private func taskLabel(_ lint: Lint) -> String {
        guard let id = lint.tasks.first else { return "-" }
        let name = context.snapshot.task(id)?.displayName ?? "task"
        return "\(name) (\(id))" + (lint.tasks.count > 1 ? " +\(lint.tasks.count - 1)" : "")
    }

    /// The message without the leading "name (id) " the task column already shows.
    private func shortMessage(_ lint: Lint) -> String {
        guard let id = lint.tasks.first, let task = context.snapshot.task(id) else { return lint.message }
        let lead = "\(task.displayName) (\(id)) "
        return lint.message.hasPrefix(lead) ? String(lint.message.dropFirst(lead.count)) : lint.message
    }
}

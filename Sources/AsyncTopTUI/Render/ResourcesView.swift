import AsyncTopModel

/// The resources pane (tokio-console's resources view): the loop's descriptors, then its
/// primitives, one per row with who holds it and who waits on it, and the selected one in
/// full at the bottom. Enter goes to its first waiter's task (or its holder's).
struct ResourcesView {
    let context: RenderContext

    static let empty = "No resources: no locks, semaphores, events, queues, futures or open sockets, pipes or "
        + "child processes on this loop."

    func draw(into screen: inout Screen) {
        let layout = context.layout, theme = context.theme
        let list = ResourceList(snapshot: context.snapshot)
        let top = layout.bodyRows.lowerBound
        var title = [Span("Resources", theme.label)]
        if !list.isEmpty { title += [Span(" (\(list.count))", theme.value), Span(": " + list.counts, theme.dim)] }
        screen.put(title, at: (top, 1), maxCol: context.cols - 1)
        guard let selected = context.state.resourceSelectionRow(in: list) else {
            for (offset, line) in wordWrap(Self.empty, width: context.cols - 4).prefix(max(0, layout.bodyRows.count - 2)).enumerated() {
                screen.put(line, at: (top + 2 + offset, 3), style: theme.dim)
            }
            return
        }
        let columns = Columns(cols: context.cols)
        let titleRow = layout.lintColumnTitleRow
        screen.paint(row: titleRow, style: theme.columnTitles)
        screen.put(columns.line(kind: "KIND", name: "NAME", holders: "HOLDERS", waiters: "WAITERS", detail: "DETAIL",
                                ellipsis: context.glyphs.ellipsis),
                   at: (titleRow, 0), style: theme.columnTitles)
        let visible = layout.lintRows
        let first = TaskTableView.firstVisibleRow(scrollTop: context.state.resourceScrollTop, selected: selected,
                                                  count: list.count, visible: visible)
        for (offset, index) in (first..<min(list.count, first + visible)).enumerated() {
            let row = layout.firstLintRow + offset
            let resource = list.resources[index]
            screen.put(columns.line(kind: resource.kind, name: resource.name ?? "#\(resource.id)",
                                    holders: holdersLabel(resource), waiters: waitersLabel(resource),
                                    detail: resource.detail, ellipsis: context.glyphs.ellipsis),
                       at: (row, 0))
            if index == selected { screen.paint(row: row, style: theme.selection) }
        }
        drawDetail(list.resources[selected], into: &screen)
    }

    /// Widths of the columns. Wide screens show them all; narrow ones drop the detail
    /// (shown in full at the bottom), then the holders, then shorten the name.
    struct Columns {
        let kind: Int, name: Int, holders: Int, waiters: Int, detail: Int

        init(cols: Int) {
            // One space before the kind, one at the right edge, one after each column.
            let room = cols - 2
            if cols >= 90 {
                (kind, name, holders, waiters) = (11, 24, 14, 24)
                let rest = room - (kind + 1) - (name + 1) - (holders + 1) - (waiters + 1)
                detail = rest >= 8 ? rest : 0
            } else {
                var (name, holders) = (18, 10)
                let kind = 9, waiters = 16
                var rest = room - (kind + 1) - (name + 1) - (holders + 1) - (waiters + 1)
                if rest < 0 {
                    rest += holders + 1
                    holders = 0
                }
                if rest < 0 {
                    name = max(8, name + rest)
                    rest = 0
                }
                (self.kind, self.name, self.holders, self.waiters) = (kind, name, holders, waiters)
                detail = rest >= 8 ? rest : 0
            }
        }

        func line(kind: String, name: String, holders: String, waiters: String, detail: String, ellipsis: Character) -> String {
            var text = " " + kind.padded(to: self.kind, ellipsis: ellipsis) + " " + name.padded(to: self.name, ellipsis: ellipsis) + " "
            if self.holders > 0 { text += holders.padded(to: self.holders, ellipsis: ellipsis) + " " }
            text += waiters.padded(to: self.waiters, ellipsis: ellipsis) + " "
            if self.detail > 0 { text += detail.truncated(to: self.detail, ellipsis: ellipsis) }
            return text
        }
    }

    /// "fetch-7 (12)"; "task (12)" for a task no longer in the snapshot.
    private func label(_ id: TaskID) -> String {
        "\(context.snapshot.task(id)?.displayName ?? "task") (\(id))"
    }

    /// "-", "fetch-7 (12)", "3: a (1), b (2), c (3)" for a semaphore's permit holders.
    private func holdersLabel(_ resource: ResourceInfo) -> String {
        switch resource.holders.count {
        case 0: "-"
        case 1: label(resource.holders[0])
        default: "\(resource.holders.count): " + resource.holders.prefix(3).map(label).joined(separator: ", ")
        }
    }

    /// "-", "2: fetch-7 (12), fetch-9 (14)".
    private func waitersLabel(_ resource: ResourceInfo) -> String {
        resource.waiters.isEmpty ? "-" : "\(resource.waiters.count): " + resource.waiters.prefix(3).map(label).joined(separator: ", ")
    }

    /// The selected resource in full, under a rule: kind, name and detail, then every
    /// holder and waiter by name and id, wrapped.
    private func drawDetail(_ resource: ResourceInfo, into screen: inout Screen) {
        let layout = context.layout, theme = context.theme, glyphs = context.glyphs
        let rows = layout.lintDetailRows
        guard rows >= 2 else { return }
        let top = layout.footerRow - rows
        screen.put(String(repeating: glyphs.box.horizontal, count: context.cols - 2), at: (top, 1), style: theme.dim)
        let name = resource.kind + " " + (resource.name ?? "#\(resource.id)")
        // The detail beside the name when both fit, else on lines of its own.
        let beside = !resource.detail.isEmpty && name.count + 2 + resource.detail.count <= context.cols - 2
        var head = [Span(resource.kind, theme.label), Span(String(name.dropFirst(resource.kind.count)), theme.value)]
        if beside { head.append(Span("  " + resource.detail, theme.dim)) }
        screen.put(head, at: (top + 1, 1), maxCol: context.cols - 1)
        let room = rows - 2
        guard room > 0 else { return }
        let width = context.cols - 4
        let holders = resource.holders.isEmpty ? "none" : resource.holders.map(label).joined(separator: ", ")
        let waiters = resource.waiters.isEmpty ? "none" : resource.waiters.map(label).joined(separator: ", ")
        var lines = (beside || resource.detail.isEmpty ? [] : wordWrap(resource.detail, width: width))
            + wordWrap("held by \(holders)", width: width) + wordWrap("waited on by \(waiters)", width: width)
        if lines.count > room {
            lines = Array(lines.prefix(room))
            lines[room - 1] = (lines[room - 1] + " " + String(glyphs.ellipsis)).truncated(to: width, ellipsis: glyphs.ellipsis)
        }
        for (offset, line) in lines.enumerated() { screen.put(line, at: (top + 2 + offset, 3)) }
    }
}

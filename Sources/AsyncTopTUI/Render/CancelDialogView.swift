import AsyncTopModel

/// The cancel confirmation: which tasks the request reaches, and the message being typed.
struct CancelDialogView {
    let context: RenderContext
    let task: TaskID
    let message: String

    func draw(into screen: inout Screen) {
        let theme = context.theme, glyphs = context.glyphs
        let affected = context.list.subtree(of: task).filter { !$0.state.isFinished }
        let body = context.layout.bodyRows
        let width = min(context.cols - 4, 76)
        let listRoom = max(1, min(affected.count, body.count - 8))
        let height = listRoom + 7
        let top = body.lowerBound + max(0, (body.count - height) / 2), left = (context.cols - width) / 2
        // An unnamed task by its kind ("async let", "Task-12"), never a bare "?".
        let name = context.snapshot.task(task)?.displayName ?? "(no longer in the snapshot)"
        screen.box(top: top, left: left, height: height, width: width, title: "Cancel task \(task) \(name)?",
                   glyphs: glyphs, style: theme.warning)
        let inner = width - 4
        var row = top + 1
        let count = affected.count == 1 ? "1 task" : "\(affected.count) tasks"
        screen.put("This asks \(count) to stop:", at: (row, left + 2))
        row += 1
        for (n, info) in affected.prefix(listRoom).enumerated() {
            let more = affected.count - n
            let text = n == listRoom - 1 && more > 1
                ? "\(glyphs.ellipsis) and \(more) more"
                : "\(info.id)".padded(to: 8, ellipsis: glyphs.ellipsis) + context.stateLabel(info).padded(to: 13, ellipsis: glyphs.ellipsis) + info.displayName
            screen.put(text.truncated(to: inner - 2, ellipsis: glyphs.ellipsis), at: (row, left + 4))
            row += 1
        }
        row += 1
        let label = "Message (optional): "
        let field = String((message + "_").suffix(max(1, inner - label.count)))
        screen.put([Span(label, theme.label), Span(field, theme.input)], at: (row, left + 2))
        screen.put("Enter confirm  Esc abort", at: (top + height - 2, left + 2), style: theme.dim)
    }
}

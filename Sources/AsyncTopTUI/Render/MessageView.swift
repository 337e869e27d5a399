/// A pane with a title and one message (the lints pane, until there are lints).
struct MessageView {
    let context: RenderContext
    let title: String
    let message: String

    func draw(into screen: inout Screen) {
        let top = context.layout.bodyRows.lowerBound
        screen.put(title, at: (top, 1), style: context.theme.label)
        screen.put(message, at: (top + 2, 3), style: context.theme.dim)
    }
}

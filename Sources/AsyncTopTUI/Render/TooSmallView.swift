/// What a screen below the minimum size shows instead of the dashboard.
struct TooSmallView {
    let rows: Int
    let cols: Int

    func draw(into screen: inout Screen) {
        let message = "Terminal too small (\(cols)x\(rows)). asynctop needs at least "
            + "\(Layout.minimumCols)x\(Layout.minimumRows). Enlarge it, or press q to quit."
        for (row, line) in wordWrap(message, width: cols).prefix(rows).enumerated() {
            screen.put(line, at: (row, 0), style: Style(attributes: .bold))
        }
    }
}

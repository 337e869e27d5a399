import AsyncTopModel

/// The styles of the dashboard's parts, in colour or monochrome (`NO_COLOR`).
struct Theme {
    let colors: Bool

    private func style(_ fg: Color, bg: Color = .default, _ attributes: TextAttributes = [],
                       mono: TextAttributes = []) -> Style {
        colors ? Style(foreground: fg, background: bg, attributes: attributes) : Style(attributes: mono)
    }

    var titleBar: Style { style(.black, bg: .cyan, mono: .reverse) }
    var columnTitles: Style { style(.black, bg: .green, mono: .reverse) }
    var selection: Style { style(.black, bg: .cyan, mono: .reverse) }
    var label: Style { style(.cyan, mono: .bold) }
    var value: Style { style(.default, [.bold], mono: .bold) }
    var warning: Style { style(.red, [.bold], mono: .bold) }
    var paused: Style { style(.yellow, [.bold, .reverse], mono: [.bold, .reverse]) }
    var dim: Style { Style(attributes: .dim) }
    var treeGuides: Style { style(.blue) }
    var footerKey: Style { Style() }
    var footerLabel: Style { style(.black, bg: .cyan, mono: .reverse) }
    var border: Style { style(.cyan) }
    /// The dots of a chart, the blocks of a bar.
    var chart: Style { style(.green) }
    var input: Style { style(.default, [.underline], mono: .underline) }

    /// A lint's mark and kind: red for errors, yellow for warnings; bold in monochrome.
    func lint(_ severity: LintSeverity) -> Style {
        switch severity {
        case .warning: style(.yellow, [.bold], mono: .bold)
        case .error: style(.red, [.bold], mono: .bold)
        }
    }

    /// The header's lint count, a badge in the colour of the worst lint.
    func lintBadge(_ severity: LintSeverity) -> Style {
        style(.black, bg: severity == .error ? .red : .yellow, [.bold], mono: [.bold, .reverse])
    }

    /// The colour of a state; finished states are also dimmed where the row is drawn.
    func state(_ kind: TaskStateKind) -> Style {
        switch kind {
        case .pending: style(.yellow)
        case .running: style(.green, [.bold], mono: .bold)
        case .suspended: style(.cyan)
        case .done: style(.default)
        case .failed: style(.red, [.bold], mono: .bold)
        case .cancelled: style(.magenta)
        }
    }
}

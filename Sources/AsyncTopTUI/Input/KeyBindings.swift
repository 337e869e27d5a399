/// The one table from keys to actions (htop's `Action_setBindings`), and the rule for prompts.
public enum KeyBindings {
    /// Every command key. Prompts (search, cancel message) take text instead; see ``action(for:in:)``.
    public static let table: [Key: Action] = [
        .up: .moveUp, .character("k"): .moveUp,
        .down: .moveDown, .character("j"): .moveDown,
        .pageUp: .pageUp, .pageDown: .pageDown,
        .home: .top, .character("g"): .top,
        .end: .bottom, .character("G"): .bottom,
        .enter: .activate, .escape: .back,
        .character("t"): .toggleTree, .function(5): .toggleTree,
        .character("+"): .expand, .character("="): .expand, .character("-"): .collapse,
        .character("/"): .startSearch, .character("n"): .nextMatch, .character("N"): .previousMatch,
        .character("f"): .cycleFilter,
        .character("s"): .nextSort, .function(6): .nextSort,
        .character("i"): .invertSort,
        .character("c"): .cancelSelected, .function(9): .cancelSelected,
        .character(" "): .togglePause,
        .character("d"): .showDemos, .function(2): .showDemos,
        .character("x"): .showExecutors,
        .character("l"): .showLints, .character("L"): .showLoop, .character("r"): .showResources,
        .character("w"): .toggleWhere, .character("a"): .toggleAllFrames,
        .character("?"): .showHelp, .function(1): .showHelp,
        .character("q"): .quit, .function(10): .quit,
    ]

    /// The action of a key in the current state: text editing while a prompt is open,
    /// the command ``table`` otherwise.
    public static func action(for key: Key, in state: ViewState) -> Action? {
        guard state.prompt != nil else { return table[key] }
        switch key {
        case .enter: return .activate
        case .escape: return .back
        case .backspace: return .deleteBackward
        case .character(let c): return .insert(c)
        default: return nil
        }
    }

    /// Help lines in a fixed order: the keys bound to each action and what it does.
    /// Commands in `unavailable` (the source cannot carry them out) are left out.
    static func helpLines(leavingOut unavailable: [Action: String] = [:]) -> [(keys: String, summary: String)] {
        let order: [Action] = [
            .moveUp, .moveDown, .pageUp, .pageDown, .top, .bottom, .activate, .back,
            .toggleTree, .expand, .startSearch, .cycleFilter, .nextSort, .invertSort,
            .cancelSelected, .togglePause, .showDemos, .showExecutors, .showLints, .toggleWhere, .showHelp, .quit,
        ]
        func keys(_ action: Action) -> [String] { table.filter { $0.value == action }.map(\.key).map(name).sorted() }
        return order.filter { unavailable[$0] == nil }.map { action in
            // Pairs share a line (the search and its next and previous match, expand and
            // collapse, the two stack views, the executors and the loop, the lints and the
            // resources): the help fits 30 rows.
            switch action {
            case .showLints:
                return ((keys(action) + keys(.showResources)).joined(separator: " "),
                        "lints: what looks wrong; r: resources and their waiters; Enter goes to a task")
            case .showExecutors:
                return ((keys(action) + keys(.showLoop)).joined(separator: " "),
                        "\(action.summary); L: \(Action.showLoop.summary)")
            case .startSearch:
                return ((keys(action) + ["n", "N"]).joined(separator: " "), "\(action.summary); n N: next, previous match")
            case .expand:
                return ((keys(action) + keys(.collapse)).joined(separator: " "), "expand, collapse the selected subtree")
            case .toggleWhere where unavailable[.toggleAllFrames] == nil:
                return ((keys(action) + keys(.toggleAllFrames)).joined(separator: " "),
                        "\(action.summary); a: \(Action.toggleAllFrames.summary)")
            default:
                return (keys(action).joined(separator: " "), action.summary)
            }
        }
    }

    /// How a key is written in help and footers.
    static func name(_ key: Key) -> String {
        switch key {
        case .up: "Up"
        case .down: "Down"
        case .left: "Left"
        case .right: "Right"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .enter: "Enter"
        case .escape: "Esc"
        case .backspace: "Bksp"
        case .tab: "Tab"
        case .function(let n): "F\(n)"
        case .character(" "): "Space"
        case .character(let c): String(c)
        }
    }
}

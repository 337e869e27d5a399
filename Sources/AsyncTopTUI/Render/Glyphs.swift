import AsyncTopModel

/// The symbols the dashboard draws, in Unicode or in plain ASCII.
struct Glyphs {
    let branch: String, lastBranch: String, pipe: String, gap: String
    let collapsed: Character
    let ellipsis: Character
    let ascending: Character, descending: Character
    let cancelRequested: Character
    /// Before the name of a task some lint names.
    let lint: Character
    /// Before a line a demo said.
    let said: String
    let box: (horizontal: Character, vertical: Character, corners: [Character])
    private let states: [TaskStateKind: Character]

    init(unicode: Bool) {
        if unicode {
            (branch, lastBranch, pipe, gap) = ("├─ ", "└─ ", "│  ", "   ")
            (collapsed, ellipsis, ascending, descending) = ("▸", "…", "▲", "▼")
            box = ("─", "│", ["┌", "┐", "└", "┘"])
            states = [.pending: "○", .running: "▶", .suspended: "‖", .done: "✓", .failed: "✗", .cancelled: "⊘"]
            lint = "⚠"
            said = "»"
        } else {
            (branch, lastBranch, pipe, gap) = ("|- ", "`- ", "|  ", "   ")
            (collapsed, ellipsis, ascending, descending) = ("+", "~", "^", "v")
            box = ("-", "|", ["+", "+", "+", "+"])
            states = [.pending: ".", .running: ">", .suspended: "=", .done: "+", .failed: "x", .cancelled: "-"]
            lint = "!"
            said = ">>"
        }
        // Not the lint's "!" in ASCII: a task can carry both marks.
        cancelRequested = unicode ? "!" : "*"
    }

    func state(_ kind: TaskStateKind) -> Character { states[kind] ?? "?" }
}

import AsyncTopModel

/// What a key asks the dashboard to do. The reducer decides what it means in each pane.
public enum Action: Hashable, Sendable {
    case moveUp, moveDown, pageUp, pageDown, top, bottom
    /// Enter: open details, launch the chosen demo, confirm a prompt.
    case activate
    /// Esc: close a pane or prompt.
    case back
    case toggleTree, expand, collapse
    case startSearch, nextMatch, previousMatch, cycleFilter, nextSort, invertSort
    case cancelSelected, togglePause
    case showDemos, showExecutors, showLints, showResources, showLoop, showHelp
    /// The task table's WHERE column: where each suspended task waits.
    case toggleWhere
    /// Every frame of a stack in the details, the runtime's and thunks included.
    case toggleAllFrames
    case quit
    /// Text typed into a prompt.
    case insert(Character)
    case deleteBackward
    /// The terminal's size changed.
    case resize(rows: Int, cols: Int)
    /// The source answered a cancel the user asked for (maybe a while later, from a program
    /// attached over its socket).
    case cancelAnswered(task: TaskID, answer: CancelAnswer)
    /// A new snapshot came from the source: the moment to ask for the stacks it lacks.
    case refreshed

    /// One line for the help pane.
    var summary: String {
        switch self {
        case .moveUp: "move up"
        case .moveDown: "move down"
        case .pageUp: "page up"
        case .pageDown: "page down"
        case .top: "go to the first task"
        case .bottom: "go to the last task"
        case .activate: "details of the selected task / launch / confirm"
        case .back: "back / abort"
        case .toggleTree: "tree or flat list"
        case .expand: "expand the selected subtree"
        case .collapse: "collapse the selected subtree"
        case .startSearch: "search tasks by name"
        case .nextMatch: "next match of the search"
        case .previousMatch: "previous match of the search"
        case .cycleFilter: "filter: all, active, finished, failed, cancelled"
        case .nextSort: "sort by the next column"
        case .invertSort: "invert the sort order"
        case .cancelSelected: "cancel the selected task (asks first)"
        case .togglePause: "pause or resume refreshing"
        case .showDemos: "demo launcher"
        case .showExecutors: "executors and their queues"
        case .showLints: "lints: what looks wrong, and Enter goes to the task"
        case .showResources: "resources (sockets, pipes, locks…) and their waiters"
        case .showLoop: "the loop over time: charts and histograms"
        case .showHelp: "this help"
        case .toggleWhere: "WHERE column: the line each task waits at"
        case .toggleAllFrames: "all frames in stacks"
        case .quit: "quit"
        case .insert, .deleteBackward, .resize, .cancelAnswered, .refreshed: ""
        }
    }
}

import AsyncTopModel

/// What fills the body of the dashboard.
public enum Pane: Hashable, Sendable {
    case tasks
    /// Every field of one task.
    case details(TaskID)
    case executors
    case lints
    /// The loop's descriptors and primitives: who holds each, who waits on it.
    case resources
    /// The loop over time: charts of its one-second series and its histograms.
    case loop
    case help
    case demos
}

/// A one-line text prompt open over the current pane.
public enum Prompt: Hashable, Sendable {
    /// Incremental search by name; `origin` is where the selection returns on Esc.
    case search(query: String, origin: TaskID?)
    /// The cancel confirmation for `task`, with the optional message typed so far.
    case confirmCancel(task: TaskID, message: String)
}

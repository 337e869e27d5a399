import AsyncTopModel

/// What the reducer asks the world to do; the runner performs it on the snapshot source.
public enum Effect: Hashable, Sendable {
    case none
    case quit
    /// Cancel a task, with the message the user typed (nil when left empty).
    case cancelTask(TaskID, message: String?)
    /// Start the demo with this name.
    case launchDemo(String)
    /// Capture the async stacks of these tasks; they come back in later snapshots.
    case requestStacks([TaskID])
}

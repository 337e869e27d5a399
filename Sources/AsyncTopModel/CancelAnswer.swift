/// What became of a request to cancel a task by id: the answer the dashboard shows, in
/// process, attached and in replays alike.
public enum CancelAnswer: String, Hashable, Codable, Sendable {
    /// The task was asked to stop.
    case requested
    /// The task had already finished.
    case alreadyFinished
    /// No such task is known (never seen, or dropped by retention).
    case notFound
    /// A native child task (`async let`, group child): only its parent's cancellation reaches it.
    case notCancellable
    /// The loop is stuck in a long step; the request waits in its inbox and is carried out
    /// as soon as the step returns.
    case queued
    /// The monitored program is not connected: nothing was sent.
    case notConnected
    /// This source cannot cancel anything (a replay of a recording).
    case unsupported
    /// The request was sent and no answer came in time.
    case noAnswer

    /// One line for the dashboard's status bar about task `id`.
    public func message(task id: TaskID) -> String {
        switch self {
        case .requested: "cancel requested for task \(id)"
        case .alreadyFinished: "task \(id) had already finished: nothing to cancel"
        case .notFound: "no task \(id) is known: nothing cancelled"
        case .notCancellable: "task \(id) is a native child task (async let or group child): cancel its parent"
        case .queued: "the loop is busy in a long step: the cancel of task \(id) runs when it returns"
        case .notConnected: "not connected: the cancel of task \(id) was not sent"
        case .unsupported: "a replay cannot cancel tasks"
        case .noAnswer: "the cancel of task \(id) was sent; no answer came in time (it may still take effect)"
        }
    }
}

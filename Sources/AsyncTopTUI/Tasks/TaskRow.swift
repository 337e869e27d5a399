/// One line of the task list: which task, and how it sits in the tree.
public struct TaskRow: Hashable, Sendable {
    /// Index into `snapshot.tasks`.
    public let taskIndex: Int
    /// 0 for roots and in flat mode.
    public let depth: Int
    /// The last of its siblings (draws └─ rather than ├─).
    public let isLast: Bool
    /// Bit k set: the ancestor at depth k+1 has later siblings, so level k draws │.
    /// Levels past 63 draw no guide.
    public let guides: UInt64
    public let hasChildren: Bool
    /// Its children are folded away.
    public let isCollapsed: Bool
    /// False for an ancestor shown only to give a matching descendant its place in the tree.
    public let matchesFilter: Bool
}

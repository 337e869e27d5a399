/// A demo the launcher offers: handed to the dashboard as data, so it needs no runtime.
public struct DemoEntry: Hashable, Sendable {
    public var name: String
    /// One line saying what the demo shows.
    public var summary: String

    public init(name: String, summary: String) {
        self.name = name
        self.summary = summary
    }
}

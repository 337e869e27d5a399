/// A demo the launcher offers: handed to the dashboard as data, so it needs no runtime.
public struct DemoEntry: Hashable, Sendable {
    public var name: String
    /// One line saying what the demo shows.
    public var summary: String
    /// What it teaches and what to look at, in paragraphs; shown under the list for the
    /// highlighted demo.
    public var about: String

    public init(name: String, summary: String, about: String = "") {
        self.name = name
        self.summary = summary
        self.about = about
    }
}

/// Spawn sites ("File.swift:12") interned to small numbers, so a record stores 4 bytes and a
/// snapshot shares one string per site. Confined to the loop thread.
struct SiteTable {
    private struct Key: Hashable {
        let file: UnsafeRawPointer
        let line: UInt
    }
    private var indexes: [Key: UInt32] = [:]
    private var texts: [String] = [""]
    private var last: (key: Key, index: UInt32)?

    /// The site's number (never 0; 0 means "no site").
    mutating func index(of site: SpawnSite) -> UInt32 {
        let key = Key(file: UnsafeRawPointer(site.file.utf8Start), line: site.line)
        if let last, last.key == key { return last.index }
        let index: UInt32
        if let known = indexes[key] {
            index = known
        } else {
            index = UInt32(texts.count)
            texts.append(site.text)
            indexes[key] = index
        }
        last = (key, index)
        return index
    }

    /// The text of a site number; nil for 0.
    func text(_ index: UInt32) -> String? { index == 0 ? nil : texts[Int(index)] }
}

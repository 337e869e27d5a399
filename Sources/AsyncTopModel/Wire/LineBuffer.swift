/// Splits a byte stream into lines, refusing lines longer than a limit.
///
/// An oversized line is reported once as ``Line/tooLong(_:)`` and its bytes are skipped up
/// to the next newline, so memory stays bounded by the limit whatever a peer sends.
public struct LineBuffer: Sendable {
    /// One result of ``next()``.
    public enum Line: Equatable, Sendable {
        case line([UInt8])
        /// A line longer than the limit was skipped; the count is how many bytes it had
        /// when it was given up (at least the limit).
        case tooLong(Int)
    }

    public let limit: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var skipping = false
    private var skipped = 0
    /// Where the search for the next newline resumes: bytes before it hold none.
    private var scanned = 0

    public init(limit: Int) { self.limit = limit }

    /// Bytes held that are not yet part of a complete line.
    public var pendingCount: Int { buffer.count - start }

    /// Adds bytes received.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            scanned -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next `count` bytes as they are (a binary part after a line that announced it),
    /// or nil until that many have arrived.
    public mutating func take(_ count: Int) -> [UInt8]? {
        guard !skipping, count >= 0, buffer.count - start >= count else { return nil }
        let bytes = Array(buffer[start..<start + count])
        start += count
        scanned = max(scanned, start)
        return bytes
    }

    /// The next complete line (without its newline, a trailing CR removed), a report of an
    /// oversized one, or nil when more bytes are needed.
    public mutating func next() -> Line? {
        while true {
            scanned = max(scanned, start)
            let newline = buffer[scanned...].firstIndex(of: 0x0A)
            scanned = newline ?? buffer.count
            if skipping {
                guard let newline else {
                    skipped += buffer.count - start
                    buffer.removeAll(keepingCapacity: true)
                    start = 0
                    scanned = 0
                    return nil
                }
                skipped += newline - start
                start = newline + 1
                skipping = false
                let count = skipped
                skipped = 0
                return .tooLong(count)
            }
            guard let newline else {
                if buffer.count - start > limit {
                    skipping = true
                    continue
                }
                return nil
            }
            if newline - start > limit {
                let count = newline - start
                start = newline + 1
                return .tooLong(count)
            }
            var line = Array(buffer[start..<newline])
            start = newline + 1
            if line.last == 0x0D { line.removeLast() }
            return .line(line)
        }
    }
}

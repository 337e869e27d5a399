import Testing
@testable import AsyncTopTUI

@Suite struct ScreenTests {
    @Test func putWritesStyledCellsAndReturnsTheNextColumn() {
        var screen = Screen(rows: 2, cols: 10)
        let bold = Style(foreground: .red, attributes: .bold)
        let next = screen.put("abc", at: (1, 2), style: bold)
        #expect(next == 5)
        #expect(screen.lines == ["", "  abc"])
        #expect(screen[1, 2] == Cell(glyph: "a", style: bold))
        #expect(screen[1, 5] == .blank)
    }

    @Test func writesOutsideTheGridAreClipped() {
        var screen = Screen(rows: 2, cols: 5)
        screen.put("hello world", at: (0, 2))
        screen.put("xyz", at: (1, -2))
        screen.put("never", at: (2, 0))
        screen.put("never", at: (-1, 0))
        #expect(screen.lines == ["  hel", "z"])
        #expect(screen[5, 5] == .blank)
    }

    @Test func wideAndControlCharactersBecomeOneColumnReplacements() {
        var screen = Screen(rows: 1, cols: 8)
        screen.put("a漢\tb├é", at: (0, 0))
        #expect(screen.line(0) == "a??b├é")
    }

    @Test func paintKeepsGlyphsAndChangesStyle() {
        var screen = Screen(rows: 1, cols: 6)
        screen.put("ab", at: (0, 0))
        let reverse = Style(attributes: .reverse)
        screen.paint(row: 0, col: 1, width: 3, style: reverse)
        #expect(screen.line(0) == "ab")
        #expect(screen[0, 0].style == .plain)
        #expect(screen[0, 1] == Cell(glyph: "b", style: reverse))
        #expect(screen[0, 3].style == reverse)
        #expect(screen[0, 4].style == .plain)
    }

    @Test func truncationEndsInAnEllipsis() {
        #expect("abcdef".truncated(to: 4, ellipsis: "…") == "abc…")
        #expect("abc".truncated(to: 4, ellipsis: "…") == "abc")
        #expect("abc".padded(to: 5, ellipsis: "…", alignRight: true) == "  abc")
    }
}

import CAsyncTopTerminalSupport
@preconcurrency import CNcursesw
import AsyncTopTUI
#if canImport(Glibc)
import Glibc
#endif

/// The terminal in curses mode: draws ``Screen``s, reads keys, and gives the terminal back.
///
/// Use from one thread only. ``restore()`` runs on every exit path the process controls:
/// call it (or let `deinit` do so); SIGINT, SIGTERM and SIGHUP restore it too.
public final class Terminal {
    /// Colours and glyphs this terminal can show (`NO_COLOR` and the locale taken into account).
    public let displayOptions: DisplayOptions
    private let screenHandle: OpaquePointer
    private var colorPairs: ColorPairs
    private var previous: Screen?
    private var isRestored = false
    private let keyTimeoutMilliseconds: Int32

    /// Takes over the terminal on standard input and output.
    ///
    /// - Parameter keyTimeoutMilliseconds: How long ``readEvent()`` waits for a key: the loop's tick.
    /// - Throws: ``TerminalError`` when standard input or output is not a terminal, or `TERM`
    ///   is unset, unknown or names a terminal that cannot draw a screen (`dumb`). Nothing on
    ///   the terminal has changed then.
    public init(keyTimeoutMilliseconds: Int32 = 50) throws {
        if isatty(STDIN_FILENO) == 0 { throw TerminalError.notATerminal(stream: "input") }
        if isatty(STDOUT_FILENO) == 0 { throw TerminalError.notATerminal(stream: "output") }
        let term = getenv("TERM").map { String(cString: $0) }
        guard let term, !term.isEmpty else { throw TerminalError.unknownTerminal(term: nil) }
        try Self.checkCanDraw(term: term)
        let unicode = Self.setUpLocale()
        SignalRestorer.saveMode()
        // newterm, not initscr: initscr prints and exits on an unknown TERM.
        guard let handle = newterm(nil, stdout, stdin) else { throw TerminalError.unknownTerminal(term: term) }
        screenHandle = handle
        self.keyTimeoutMilliseconds = keyTimeoutMilliseconds
        set_term(handle)
        SignalRestorer.install()
        cbreak()
        noecho()
        keypad(stdscr, true)
        curs_set(0)
        set_escdelay(25)
        wtimeout(stdscr, keyTimeoutMilliseconds)
        let colors = getenv("NO_COLOR") == nil && has_colors()
        if colors {
            start_color()
            use_default_colors()
        }
        colorPairs = ColorPairs(enabled: colors)
        displayOptions = DisplayOptions(colors: colors, unicode: unicode)
    }

    deinit { restore() }

    /// Rows and columns of the terminal now.
    public var size: (rows: Int, cols: Int) {
        (Int(asynctop_max_y(stdscr)), Int(asynctop_max_x(stdscr)))
    }

    /// Shows a screen, writing only the cells that changed since the last one.
    public func draw(_ screen: Screen) {
        let full = previous.map { $0.rows != screen.rows || $0.cols != screen.cols } ?? true
        if full { werase(stdscr) }
        for row in 0..<screen.rows {
            for col in 0..<screen.cols {
                let cell = screen[row, col]
                if !full, let previous, previous[row, col] == cell { continue }
                put(cell, row: row, col: col)
            }
        }
        wrefresh(stdscr)
        previous = screen
    }

    /// Waits up to the key timeout for a key or a resize.
    /// - Returns: nil when the time ran out or the input was not a key the dashboard knows;
    ///   ``TerminalEvent/hangup`` when input has ended, where `wget_wch` would fail at once forever.
    public func readEvent() -> TerminalEvent? {
        var value: wint_t = 0
        switch wget_wch(stdscr, &value) {
        case KEY_CODE_YES:
            let event = KeyDecoder.decode(keyCode: Int32(value))
            if event == .resize { previous = nil }
            return event
        case OK:
            let event = KeyDecoder.decode(character: UInt32(value))
            return event == .key(.escape) ? readEscapeSequence() : event
        default: return Self.inputHasEnded() ? .hangup : nil
        }
    }

    /// After an ESC curses did not make a key of: the rest of a sequence it does not know
    /// (tmux's Home and End), decoded; a lone Esc; or Esc then a key typed right after it.
    private func readEscapeSequence() -> TerminalEvent? {
        // What follows a sequence's ESC is already in the input: do not wait for more.
        wtimeout(stdscr, 0)
        defer { wtimeout(stdscr, keyTimeoutMilliseconds) }
        var rest = ""
        while rest.unicodeScalars.count < 16 {
            var value: wint_t = 0
            guard wget_wch(stdscr, &value) == OK, let scalar = Unicode.Scalar(UInt32(value)) else { break }
            if rest.isEmpty && scalar != "[" && scalar != "O" {
                // Not a sequence: Esc, and the key after it on its own.
                unget_wch(wchar_t(bitPattern: scalar.value))
                return .key(.escape)
            }
            rest.unicodeScalars.append(scalar)
            if Key.escapeSequenceIsComplete(rest) { break }
        }
        if rest.isEmpty { return .key(.escape) }
        // A sequence of a key the dashboard has no use for is dropped, not taken for Esc.
        return Key(escapeSequence: rest).map(TerminalEvent.key)
    }

    /// Ends curses mode and gives the terminal back as it was. Safe to call more than once.
    public func restore() {
        guard !isRestored else { return }
        isRestored = true
        endwin()
        delscreen(screenHandle)
        SignalRestorer.uninstall()
    }

    private func put(_ cell: Cell, row: Int, col: Int) {
        var attributes = asynctop_a_normal()
        let style = cell.style
        if style.attributes.contains(.bold) { attributes |= asynctop_a_bold() }
        if style.attributes.contains(.dim) { attributes |= asynctop_a_dim() }
        if style.attributes.contains(.reverse) { attributes |= asynctop_a_reverse() }
        if style.attributes.contains(.underline) { attributes |= asynctop_a_underline() }
        let pair = colorPairs.pair(foreground: style.foreground, background: style.background)
        // A glyph is one scalar plus any combining marks; curses takes up to 5 (CCHARW_MAX).
        var wide = cell.glyph.unicodeScalars.prefix(4).map { wchar_t(bitPattern: $0.value) } + [0]
        var character = cchar_t()
        setcchar(&character, &wide, attributes, pair, nil)
        mvwadd_wch(stdscr, Int32(row), Int32(col), &character)
    }

    private static func inputHasEnded() -> Bool {
        var input = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        return poll(&input, 1, 0) == 1 && input.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }

    /// Refuses, before anything is sent to it, a terminal that terminfo does not know or
    /// that cannot move its cursor (`TERM=dumb`): curses would take it and draw nonsense.
    private static func checkCanDraw(term: String) throws {
        switch asynctop_terminal_check(term) {
        case 0: return
        case 1: throw TerminalError.cannotDraw(term: term)
        default: throw TerminalError.unknownTerminal(term: term)
        }
    }

    /// Applies the user's locale.
    /// - Returns: Whether it is UTF-8, and so most likely the terminal: Unicode glyphs. A
    ///   terminal under `LANG=C` or ISO-8859-1 gets ASCII (what `--help` promises), rather
    ///   than UTF-8 forced on it.
    private static func setUpLocale() -> Bool {
        setlocale(LC_ALL, "")
        return isUTF8()
    }

    private static func isUTF8() -> Bool {
        guard let codeset = nl_langinfo(nl_item(CODESET)) else { return false }
        let name = String(cString: codeset).uppercased()
        return name == "UTF-8" || name == "UTF8"
    }
}

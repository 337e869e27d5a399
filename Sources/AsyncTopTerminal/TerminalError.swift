/// Why the dashboard could not take over the terminal.
public enum TerminalError: Error, CustomStringConvertible, Equatable {
    /// Standard input or output is not a terminal (a pipe, a file, /dev/null).
    case notATerminal(stream: String)
    /// `TERM` is unset or names a terminal the terminfo database does not know.
    case unknownTerminal(term: String?)
    /// `TERM` names a terminal that cannot draw a screen: no cursor addressing (`dumb`).
    case cannotDraw(term: String)

    public var description: String {
        switch self {
        case .notATerminal(let stream):
            "asynctop: standard \(stream) is not a terminal; the dashboard needs an interactive terminal"
        case .unknownTerminal(let term?):
            "asynctop: unknown terminal type TERM=\(term); set TERM to one terminfo knows (e.g. xterm-256color)"
        case .cannotDraw(let term):
            "asynctop: TERM=\(term) cannot draw a screen (no cursor movement); set TERM to your terminal's type (e.g. xterm-256color)"
        case .unknownTerminal(nil):
            "asynctop: TERM is not set; set it to your terminal's type (e.g. xterm-256color)"
        }
    }
}

@preconcurrency import CNcursesw
import AsyncTopTUI

/// Turns what `wget_wch` returned into a ``TerminalEvent``.
enum KeyDecoder {
    /// A function or cursor key (`wget_wch` returned `KEY_CODE_YES`).
    static func decode(keyCode code: Int32) -> TerminalEvent? {
        if code == asynctop_key_resize() { return .resize }
        if let n = (1...12).first(where: { asynctop_key_f(Int32($0)) == code }) { return .key(.function(n)) }
        let keys: [Int32: Key] = [
            KEY_UP: .up, KEY_DOWN: .down, KEY_LEFT: .left, KEY_RIGHT: .right,
            KEY_PPAGE: .pageUp, KEY_NPAGE: .pageDown, KEY_HOME: .home, KEY_END: .end,
            KEY_ENTER: .enter, KEY_BACKSPACE: .backspace, KEY_DC: .backspace,
        ]
        return keys[code].map(TerminalEvent.key)
    }

    /// A character (`wget_wch` returned `OK`).
    static func decode(character value: UInt32) -> TerminalEvent? {
        switch value {
        case 10, 13: return .key(.enter)
        case 27: return .key(.escape)
        case 8, 127: return .key(.backspace)
        case 9: return .key(.tab)
        default:
            guard value >= 32, let scalar = Unicode.Scalar(value) else { return nil }
            return .key(.character(Character(scalar)))
        }
    }
}

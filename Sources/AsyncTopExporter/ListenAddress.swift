#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the exporter listens: `HOST:PORT`, `[IPV6]:PORT` or `:PORT` (loopback), with the host
/// resolved to addresses. Loopback only unless remote access is allowed.
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    /// Prometheus' port for this exporter kind (the registry's default port range).
    public static let defaultPort: UInt16 = 9464
    public static let `default` = "127.0.0.1:9464"

    /// Why an address was refused.
    public struct Problem: Error, Hashable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The host as written (without brackets).
    public var host: String
    public var port: UInt16
    /// The numeric addresses `host` resolved to, IPv4 dotted or IPv6 text; the first is bound.
    public var addresses: [String]

    public init(host: String, port: UInt16, addresses: [String]) {
        self.host = host
        self.port = port
        self.addresses = addresses
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The first address, as the server binds it.
    public var bindAddress: String { addresses[0] }
    public var bindsIPv6: Bool { bindAddress.contains(":") }

    /// Splits `HOST:PORT` (no resolution): `[::1]:9464`, `localhost:9464`, `:9464`.
    public static func split(_ text: String) throws(Problem) -> (host: String, port: UInt16) {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw Problem("'\(text)' is not HOST:PORT ([IPV6]:PORT for IPv6)")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw Problem("'\(text)' is not HOST:PORT (for example \(Self.default))")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { throw Problem("'\(text)': write an IPv6 address in brackets, [\(host)]:\(portText)") }
        }
        guard let port = UInt16(portText), portText.allSatisfy(\.isASCII) else {
            throw Problem("'\(text)': the port must be a number from 0 to 65535, not '\(portText)'")
        }
        return (host.isEmpty ? "127.0.0.1" : String(host), port)
    }

    /// Parses and resolves `text`; refuses an address that is not loopback unless `allowRemote`.
    /// - Parameter resolve: the host's numeric addresses (``resolve(_:)``, or a stand-in in tests).
    public static func parse(_ text: String, allowRemote: Bool = false,
                             resolve: (String) throws(Problem) -> [String] = resolve) throws(Problem) -> ListenAddress {
        let (host, port) = try split(text)
        let addresses = try resolve(host)
        if !allowRemote {
            let outside = addresses.filter { !isLoopback($0) }
            if !outside.isEmpty {
                let resolved = outside == [host] ? "" : " (it resolves to \(outside.joined(separator: ", ")))"
                throw Problem("refusing to listen on \(host)\(resolved): not a loopback address, so anyone who can reach this machine "
                              + "could read the metrics; pass --allow-remote to serve them beyond this machine")
            }
        }
        return ListenAddress(host: host, port: port, addresses: addresses)
    }

    /// Whether a numeric address is loopback: 127.0.0.0/8, ::1, or ::ffff:127.x.y.z.
    public static func isLoopback(_ address: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
        let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
        return mapped && bytes[12] == 127
    }

    /// The numeric addresses of `host` (itself when numeric), IPv4 first.
    public static func resolve(_ host: String) throws(Problem) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            throw Problem("cannot resolve '\(host)': \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var v4: [String] = [], v6: [String] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let entry = node {
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 {
                let address = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if entry.pointee.ai_family == AF_INET6 {
                    if !v6.contains(address) { v6.append(address) }
                } else if !v4.contains(address) {
                    v4.append(address)
                }
            }
            node = entry.pointee.ai_next
        }
        let all = v4 + v6
        guard !all.isEmpty else { throw Problem("'\(host)' resolves to no address") }
        return all
    }
}

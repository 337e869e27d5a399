import CAsyncTopSupport
#if canImport(Glibc)
import Glibc
#endif

/// A socket address of any family (IPv4, IPv6, Unix), printed as "127.0.0.1:8080",
/// "[::1]:8080" or its path.
struct SocketAddress: Sendable, CustomStringConvertible {
    let raw: asynctop_address

    init(_ raw: asynctop_address) { self.raw = raw }

    var family: Int32 { raw.family }
    var port: Int { Int(withUnsafePointer(to: raw) { asynctop_address_port($0) }) }

    var description: String {
        var buffer = [CChar](repeating: 0, count: 160)
        _ = withUnsafePointer(to: raw) { asynctop_format_address($0, &buffer, Int32(buffer.count)) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A Unix domain socket's address.
    static func unix(_ path: String) throws -> SocketAddress {
        var raw = asynctop_address()
        let failed = asynctop_unix_address(path, &raw)
        guard failed == 0 else { throw IOError(errno: failed, doing: "use socket path \(path)") }
        return SocketAddress(raw)
    }

    /// The addresses `host` resolves to, without blocking: nil when it is not numeric.
    static func numeric(host: String, port: Int, passive: Bool = false) -> [SocketAddress]? {
        let isNumeric = host.isEmpty || host.allSatisfy { $0.isHexDigit || $0 == "." || $0 == ":" }
        guard isNumeric, let found = try? lookUp(host: host, port: port, passive: passive) else { return nil }
        return found
    }

    /// getaddrinfo: blocks for names, so the loop calls it on a thread.
    static func lookUp(host: String, port: Int, passive: Bool) throws -> [SocketAddress] {
        var found = [asynctop_address](repeating: asynctop_address(), count: 16)
        let result = found.withUnsafeMutableBufferPointer {
            asynctop_resolve(host, Int32(port), passive ? 1 : 0, $0.baseAddress, Int32($0.count))
        }
        if result <= -1000 { return Array(found.prefix(Int(-1000 - result))).map(SocketAddress.init) }
        if result < 0 {
            // getaddrinfo's EAI_SYSTEM: the system call's error is the reason.
            throw ResolutionError(host: host, reason: String(cString: strerror(-result)))
        }
        throw ResolutionError(host: host, reason: String(cString: asynctop_resolve_error(result)))
    }
}

extension EventLoop {
    /// The addresses of `host:port`: at once for numeric hosts, through the default
    /// thread pool for names (getaddrinfo blocks), as asyncio's `getaddrinfo`.
    ///
    /// - Throws: ``ResolutionError`` for a name that does not resolve.
    func resolve(host: String, port: Int, passive: Bool = false) async throws -> [SocketAddress] {
        guard (0...65535).contains(port) else {
            throw StreamError.invalidArgument("port \(port) is out of range (0-65535)")
        }
        if let numeric = SocketAddress.numeric(host: host, port: port, passive: passive) { return numeric }
        return try await runInExecutor(defaultExecutor, label: "getaddrinfo \(host)") {
            try SocketAddress.lookUp(host: host, port: port, passive: passive)
        }
    }
}

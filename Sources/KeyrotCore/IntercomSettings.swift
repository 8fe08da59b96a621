/// How the provider agent reaches one workspace's Intercom: the API's address, the name of the credential that
/// holds the access token (the token itself stays with the agent), and the platforms a new secret serves.
public struct IntercomSettings: Hashable, Sendable {
    /// Intercom's regions; any other address must be loopback over plain HTTP (a local stand-in), or HTTPS.
    public static let regions = ["https://api.intercom.io", "https://api.eu.intercom.io", "https://api.au.intercom.io"]
    public static let platformNames = ["web", "ios", "android"]

    public var apiBase: String
    /// The file name under `$CREDENTIALS_DIRECTORY` (or `<state-dir>/credentials/` with `--dev`).
    public var tokenCredential: String
    public var platforms: [String]
    /// A PEM file of certificate authorities to trust instead of the system's (a private proxy, a test CA).
    public var caFile: String?
    /// How long one call may take, connecting included.
    public var timeout: TimeSpan
    /// How often the agent lists the secrets at Intercom when it has nothing else to do there: to delete orphans (a
    /// creation whose answer came too late) and to show unmanaged secrets.
    public var sweepEvery: TimeSpan

    public init(
        apiBase: String = regions[0],
        tokenCredential: String,
        platforms: [String] = ["web"],
        caFile: String? = nil,
        timeout: TimeSpan = .seconds(10),
        sweepEvery: TimeSpan = .minutes(5)
    ) throws(KeyrotError) {
        let base = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        guard Self.isAllowedBase(base) else {
            throw .invalidPolicy(
                "api_base \"\(apiBase)\" must be https://HOST (Intercom's regions are \(Self.regions.joined(separator: ", "))), "
                    + "or http:// to a loopback address only"
            )
        }
        guard !tokenCredential.isEmpty, tokenCredential.utf8.count <= 255,
            tokenCredential.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.@".contains($0)) }),
            !tokenCredential.hasPrefix(".")
        else {
            throw .invalidPolicy(
                "token_credential \"\(tokenCredential)\" must be a credential name, like intercom-acme"
            )
        }
        guard !platforms.isEmpty, platforms.allSatisfy(Self.platformNames.contains),
            Set(platforms).count == platforms.count
        else {
            throw .invalidPolicy("platforms must list some of web, ios and android, each once")
        }
        if let caFile, !caFile.hasPrefix("/") {
            throw .invalidPolicy("ca_file must be an absolute path")
        }
        guard (1...300).contains(timeout.seconds) else { throw .invalidPolicy("timeout must be 1s to 5min") }
        guard (1...86_400).contains(sweepEvery.seconds) else { throw .invalidPolicy("sweep_every must be 1s to 1d") }
        self.apiBase = base
        self.tokenCredential = tokenCredential
        self.platforms = platforms
        self.caFile = caFile
        self.timeout = timeout
        self.sweepEvery = sweepEvery
    }

    /// HTTPS anywhere; plain HTTP only to 127.0.0.0/8, `[::1]` or `localhost`, so a token never crosses a network
    /// in the clear.
    static func isAllowedBase(_ base: String) -> Bool {
        let scheme = base.prefix { $0 != ":" }
        guard base.hasPrefix("\(scheme)://"), scheme == "https" || scheme == "http" else { return false }
        let rest = base.dropFirst(scheme.count + 3)
        let authority = rest.prefix { $0 != "/" }
        guard !authority.isEmpty, !authority.contains("@"), !base.contains(where: { $0.isWhitespace }) else {
            return false
        }
        guard scheme == "http" else { return true }
        let host: Substring
        if authority.hasPrefix("[") {
            host = authority.prefix { $0 != "]" }.dropFirst()
        } else {
            host = authority.prefix { $0 != ":" }
        }
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

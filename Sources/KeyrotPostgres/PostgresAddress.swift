import Foundation

/// Where a PostgreSQL store is: `[store] url`, `postgresql://USER@HOST:PORT/DATABASE`, parsed once.
///
/// The password never appears in the address: it comes from the credential `postgres-password` (systemd
/// `LoadCredential=`), so the address can be logged, shown in STATUS and written in the journal as it is.
public struct PostgresAddress: Equatable, Sendable, CustomStringConvertible {
    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    /// `sslmode`: whether to speak TLS with the server (`disable`, `prefer`, `require`).
    public var tls: TLSMode

    /// How the store connects: TLS as libpq's `sslmode` of the same names means it.
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, prefer, require
    }

    /// Parses `postgresql://USER@HOST[:PORT]/DATABASE[?sslmode=MODE]` (or `postgres://`).
    ///
    /// - Throws: a description of what is wrong with `text`, for the configuration error.
    public init(parsing text: String) throws(AddressProblem) {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            ["postgresql", "postgres"].contains(scheme)
        else { throw AddressProblem("must be a postgresql://USER@HOST:PORT/DATABASE address") }
        if components.password != nil {
            throw AddressProblem(
                "must not carry a password: keyrotd reads it from the credential \"postgres-password\""
            )
        }
        guard let user = components.user, !user.isEmpty else {
            throw AddressProblem("names no user (postgresql://USER@HOST/DATABASE)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw AddressProblem("names no host (postgresql://USER@HOST/DATABASE)")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw AddressProblem("names no database (postgresql://USER@HOST/DATABASE)")
        }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else {
                throw AddressProblem("has an unknown parameter \"\(item.name)\" (only sslmode is read)")
            }
            guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                throw AddressProblem("has sslmode \"\(item.value ?? "")\"; it must be disable, prefer or require")
            }
            tls = mode
        }
        self.user = user
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? 5432
        self.database = database
        self.tls = tls
    }

    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        let query = tls == .prefer ? "" : "?sslmode=\(tls.rawValue)"
        return "postgresql://\(user)@\(host):\(port)/\(database)\(query)"
    }

    /// What is wrong with an address, in words for the configuration error.
    public struct AddressProblem: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}

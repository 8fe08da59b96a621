import KeyrotCore
import NIOCore
import PostgresNIO

extension StoreError {
    /// The store's error for whatever a PostgresNIO call, a lifecycle decision or a sealer threw: the one place
    /// where the errors from below are sorted, in words an operator can act on, without SQL or bound values.
    init(postgres error: any Error, at address: PostgresAddress) {
        switch error {
        case let error as StoreError: self = error
        case let error as KeyrotError: self = .refused(error)
        case let error as PSQLError:
            if let state = error.serverInfo?[.sqlState] {
                self = .databaseFailed(problem: Self.problem(sqlState: state, message: error.serverInfo?[.message]))
            } else {
                self = .databaseUnreachable(location: address.description, problem: Self.connectionProblem(error))
            }
        case is ChannelError, is IOError:
            self = .databaseUnreachable(location: address.description, problem: "\(error)")
        case let error as PostgresDecodingError:
            self = .databaseFailed(problem: "a column did not hold what keyrotd expects (\(error.code))")
        default: self = .sealingFailed(String(describing: error))
        }
    }

    /// Whether `error` means the connection is gone (so it is dropped and the next call connects anew).
    static func isConnectionLost(_ error: any Error) -> Bool {
        switch error {
        case let error as PSQLError: error.serverInfo?[.sqlState] == nil || error.code == .serverClosedConnection
        case is ChannelError, is IOError: true
        default: false
        }
    }

    /// Why the server could not be reached or the connection was lost, in a few words.
    static func connectionProblem(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        return switch error.code {
        case .connectionError: "cannot connect (\(error.underlying.map { "\($0)" } ?? "no reason given"))"
        case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown: "the connection was lost"
        case .sslUnsupported: "the server does not speak TLS (sslmode=require)"
        case .authMechanismRequiresPassword: "the server wants a password: put it in the credential postgres-password"
        default: "\(error.code)"
        }
    }

    /// A server error in words: its SQLSTATE class, and for keyrotd's own refusals (the schema's triggers) their
    /// message, which never holds bound values.
    private static func problem(sqlState: String, message: String?) -> String {
        switch sqlState {
        case "23001": message ?? "the schema refused the change"
        case "40001", "40P01": "the database gave up a transaction that crossed another (\(sqlState)); try again"
        case "53100": "the database server's disk is full"
        case "25006": "the database is read-only"
        case "28000", "28P01": "the database refused keyrotd's role or password"
        case "3D000": "the database does not exist"
        case "42501": "keyrotd's role lacks a privilege it needs (\(message ?? sqlState))"
        case _ where sqlState.hasPrefix("23"): "the schema refused the change (\(sqlState))"
        case _ where sqlState.hasPrefix("57"): "the database server is shutting down or unavailable (\(sqlState))"
        default: "the database refused the statement (\(sqlState))"
        }
    }
}

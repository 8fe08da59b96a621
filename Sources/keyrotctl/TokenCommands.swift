import ArgumentParser
import Foundation
import KeyrotControl

struct Sign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign a token for a user with the workspace's active key."
    )
    @OptionGroup var global: GlobalOptions
    @Argument var workspace: String
    @Option(help: "The user the token is for (the user_id claim).") var userId: String
    @Option(help: "Lifetime, e.g. 15min (default: the workspace's token_ttl).") var ttl: String?
    @Option(
        name: .customLong("claim"),
        help: "An extra claim NAME=VALUE (repeatable); numbers and true/false stay typed."
    )
    var claims: [String] = []

    func run() async throws {
        var extra: [String: JSONValue] = [:]
        for claim in claims {
            guard let equals = claim.firstIndex(of: "="), equals != claim.startIndex else {
                throw ValidationError("--claim takes NAME=VALUE, not \"\(claim)\"")
            }
            let value = String(claim[claim.index(after: equals)...])
            extra[String(claim[..<equals])] = Self.claimValue(value)
        }
        let result = try await global.call(
            "Sign",
            KeyrotAPI.SignParameters(
                workspace: workspace,
                user_id: userId,
                ttl: ttl,
                claims: extra.isEmpty ? nil : extra
            ),
            returning: KeyrotAPI.SignResult.self
        )
        if !global.json { print(result.token) }
    }
}

extension Sign {
    /// `true`/`false` as booleans, integers that read back exactly as numbers (so `01234` and `0x10` stay text),
    /// everything else as a string.
    static func claimValue(_ text: String) -> JSONValue {
        switch text {
        case "true": return .bool(true)
        case "false": return .bool(false)
        default:
            if let number = Int64(text), String(number) == text, abs(number) < 1 << 53 {
                return .number(Double(number))
            }
            return .string(text)
        }
    }
}

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a token: exit 0 if valid, 1 if not (the reason on standard error)."
    )
    @OptionGroup var global: GlobalOptions
    @Argument var workspace: String
    @Argument(help: "The token, or - (or nothing) to read it from standard input.") var token: String?
    @Flag(help: "Say which key verified it, for whom and until when, or why it failed.") var explain = false

    func run() async throws {
        var text = token ?? "-"
        if text == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let result = try await global.call(
            "Verify",
            KeyrotAPI.VerifyParameters(workspace: workspace, token: text),
            returning: KeyrotAPI.VerifyResult.self
        )
        if result.valid {
            if explain && !global.json {
                print(
                    "valid: signed by \(result.key_id ?? "?") for user \(result.user_id ?? "?"), expires \(result.expires_at ?? "?")"
                )
            }
            return
        }
        let reason = result.reason ?? "invalid"
        if !global.json {
            var message = "invalid token: \(reason)"
            if explain { message += " — " + Self.explanation(reason, keyID: result.key_id) }
            FileHandle.standardError.write(Data("keyrotctl: \(message)\n".utf8))
        }
        throw ExitCode(1)
    }

    static func explanation(_ reason: String, keyID: String?) -> String {
        let key = keyID.map { "key \($0)" } ?? "its key"
        switch reason {
        case "malformed": return "not a JWS compact token, or a claim has the wrong type"
        case "unsupported_algorithm": return "alg is none or not the algorithm of \(key)"
        case "unknown_key": return "the workspace has no \(key) (or requires a kid)"
        case "revoked_key": return "\(key) was revoked or flagged as leaked: it never verifies again"
        case "retired_key": return "\(key)'s grace window has closed"
        case "bad_signature": return "no verifying key of the workspace made this signature"
        case "expired": return "exp has passed (beyond the clock-skew leeway), or there is no exp"
        case "not_yet_valid": return "nbf or iat lies in the future"
        case "missing_user_id": return "there is no non-empty user_id claim"
        case "too_large": return "the token is larger than 8 KiB"
        default: return reason
        }
    }
}

struct UserHash: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user-hash",
        abstract:
            "Print Intercom's legacy user_hash for a user: the hex HMAC-SHA256 of the user id under the active key."
    )
    @OptionGroup var global: GlobalOptions
    @Argument var workspace: String
    @Option(help: "The user id the hash is for.") var userId: String

    func run() async throws {
        let result = try await global.call(
            "UserHash",
            KeyrotAPI.UserHashParameters(workspace: workspace, user_id: userId),
            returning: KeyrotAPI.UserHashResult.self
        )
        if !global.json { print(result.user_hash) }
    }
}

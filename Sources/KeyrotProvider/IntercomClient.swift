import AsyncHTTPClient
import Foundation
import KeyrotCore
import NIOCore
import NIOHTTP1

/// Intercom's identity-verification secrets API (`Intercom-Version: Preview`): `GET`, `POST` and `DELETE` on
/// `{api_base}/secure_mode_secrets`, with the workspace's access token.
///
/// Every call has a deadline; an answer is read up to 1 MiB. Errors name Intercom's status and error code, never
/// the token or a secret.
public struct IntercomClient: SecretProvider {
    let http: HTTPClient
    let apiBase: String
    let token: String
    let platforms: [String]
    let timeout: TimeAmount

    public init(http: HTTPClient, apiBase: String, token: String, platforms: [String], timeout: TimeAmount) {
        self.http = http
        self.apiBase = apiBase
        self.token = token
        self.platforms = platforms
        self.timeout = timeout
    }

    /// `{"type": "identity_verification_secret", "id": ..., "name": ..., "secret": ...}`.
    struct Secret: Decodable {
        var id: String
        var name: String?
        var secret: String?
        var created_at: Int64?
    }

    /// `{"type": "list", "data": [...]}`.
    struct SecretList: Decodable {
        var data: [Secret]
    }

    /// `{"type": "error.list", "errors": [{"code": ..., "message": ...}]}`.
    struct ErrorList: Decodable {
        struct Item: Decodable {
            var code: String?
        }
        var errors: [Item]?
    }

    /// The body of a creation: its name and the platforms it serves.
    struct CreateBody: Encodable {
        var name: String
        var supports_web: Bool
        var supports_ios: Bool
        var supports_android: Bool
    }

    public func list() async throws(ProviderCallError) -> [ListedSecret] {
        let (status, body) = try await call(.GET, path: "")
        guard status == 200 else { throw Self.failure(status, body, doing: "list") }
        guard let list = try? JSONDecoder().decode(SecretList.self, from: body) else {
            throw .rejected(status: status, message: "intercom \(status): the list is not in Intercom's format")
        }
        return list.data.map { ListedSecret(id: $0.id, name: $0.name ?? "", createdAt: $0.created_at) }
    }

    public func create(name: String) async throws(ProviderCallError) -> CreatedSecret {
        let request = CreateBody(
            name: name,
            supports_web: platforms.contains("web"),
            supports_ios: platforms.contains("ios"),
            supports_android: platforms.contains("android")
        )
        let (status, body) = try await call(.POST, path: "", body: try? JSONEncoder().encode(request))
        guard status == 200 || status == 201 else { throw Self.failure(status, body, doing: "create") }
        guard let created = try? JSONDecoder().decode(Secret.self, from: body), let secret = created.secret,
            !secret.isEmpty
        else {
            throw .rejected(status: status, message: "intercom \(status): the new secret is not in Intercom's format")
        }
        return CreatedSecret(id: created.id, secret: secret)
    }

    public func delete(id: String) async throws(ProviderCallError) -> Bool {
        let escaped = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? id
        let (status, body) = try await call(.DELETE, path: "/\(escaped)")
        switch status {
        case 200, 204: return true
        case 404: return false
        default: throw Self.failure(status, body, doing: "delete")
        }
    }

    /// One request with its deadline; the answer's status and body (at most 1 MiB).
    private func call(
        _ method: HTTPMethod,
        path: String,
        body: Data? = nil
    ) async throws(ProviderCallError) -> (
        Int, Data
    ) {
        var request = HTTPClientRequest(url: "\(apiBase)/secure_mode_secrets\(path)")
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "Intercom-Version", value: "Preview")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await http.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 1 << 20)
            if response.status.code == 429 || response.status.code >= 500 {
                let wait = ProviderWaitHint.wait(
                    retryAfter: response.headers.first(name: "Retry-After"),
                    rateLimitReset: response.headers.first(name: "X-RateLimit-Reset"),
                    status: Int(response.status.code),
                    at: Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
                )
                throw ProviderCallError.transient(
                    "intercom \(response.status.code)\(Self.code(in: Data(bytes.readableBytesView)).map { " \($0)" } ?? "")",
                    status: Int(response.status.code),
                    retryAfterSeconds: wait.map { Int($0.seconds) }
                )
            }
            return (Int(response.status.code), Data(bytes.readableBytesView))
        } catch let error as ProviderCallError {
            throw error
        } catch let error as HTTPClientError
            where error == .deadlineExceeded || error == .readTimeout
            || error == .connectTimeout
        {
            throw .transient("intercom \(method.rawValue) timed out (\(error))", status: nil, retryAfterSeconds: nil)
        } catch {
            throw .transient("intercom \(method.rawValue) failed: \(error)", status: nil, retryAfterSeconds: nil)
        }
    }

    /// The failure an unexpected status means.
    static func failure(_ status: Int, _ body: Data, doing what: String) -> ProviderCallError {
        let code = code(in: body)
        let message = "intercom \(status)\(code.map { " \($0)" } ?? "") on \(what)"
        switch status {
        case 401, 403: return .unauthorized(status: status, message: message)
        case 429, 500...599: return .transient(message, status: status, retryAfterSeconds: nil)
        default: return .rejected(status: status, message: message)
        }
    }

    /// The first error code of an `error.list` answer, if it is one (at most 64 printable characters of it).
    static func code(in body: Data) -> String? {
        guard let list = try? JSONDecoder().decode(ErrorList.self, from: body),
            let code = list.errors?.first?.code
        else { return nil }
        let printable = code.prefix(64).filter { $0.isASCII && !$0.isWhitespace && !$0.isNewline }
        return printable.isEmpty ? nil : String(printable)
    }
}

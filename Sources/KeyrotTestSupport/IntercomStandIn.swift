import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `Tests/Harness/intercom-standin` run for a test: a local Intercom secrets API (plain, or HTTPS with the test
/// CA of `Tests/Harness/make-test-ca`) that verifies tokens as Intercom would, with faults on demand through its
/// control port. Every secret it makes is recorded for the leak sweep.
public final class IntercomStandIn: Sendable {
    public let process: DaemonProcess
    public let apiPort: Int
    public let controlPort: Int
    public let tls: Bool

    /// Starts it in `directory` accepting `token`; with `tls`, serves HTTPS with that certificate and key.
    public init(
        in directory: TemporaryDirectory,
        token: String,
        tls: (certificate: String, key: String)? = nil
    )
        async throws
    {
        let api = directory.path("standin-api.port")
        let control = directory.path("standin-control.port")
        var arguments = [
            Repository.path("Tests/Harness/intercom-standin"), "--port-file", api, "--control-port-file", control,
            "--token", token, "--known-secrets", directory.path(LeakSweep.knownSecretsFile),
        ]
        if let tls { arguments += ["--tls-cert", tls.certificate, "--tls-key", tls.key] }
        self.tls = tls != nil
        process = try DaemonProcess(
            executable: "/usr/bin/python3",
            arguments: arguments,
            logFile: directory.path("standin.log")
        )
        let up = try await DaemonProcess.eventually(timeout: 10) { FileManager.default.fileExists(atPath: control) }
        guard up, let apiText = try? String(contentsOfFile: api, encoding: .utf8),
            let apiPort = Int(apiText.trimmingCharacters(in: .whitespacesAndNewlines)),
            let controlText = try? String(contentsOfFile: control, encoding: .utf8),
            let controlPort = Int(controlText.trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw StandInError.notStarted(process.log) }
        self.apiPort = apiPort
        self.controlPort = controlPort
    }

    /// The `api_base` to configure.
    public var apiBase: String { "\(tls ? "https" : "http")://127.0.0.1:\(apiPort)" }

    /// One secret the stand-in holds, material included (for the test's eyes only).
    public struct Secret: Decodable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var secret: String
    }

    /// Every secret it holds now.
    public func secrets() async throws -> [Secret] {
        struct List: Decodable { var data: [Secret] }
        return try JSONDecoder().decode(List.self, from: try await control("GET", "/secrets").body).data
    }

    /// Whether Intercom would accept `token` (an HS256 JWT) now.
    public func accepts(token: String) async throws -> Bool {
        struct Answer: Decodable { var valid: Bool }
        let body = try JSONEncoder().encode(["token": token])
        return try JSONDecoder().decode(Answer.self, from: try await control("POST", "/verify-jwt", body).body).valid
    }

    /// Whether Intercom would accept `userHash` for `userID` now.
    public func accepts(userHash: String, for userID: String) async throws -> Bool {
        struct Answer: Decodable { var valid: Bool }
        let body = try JSONEncoder().encode(["user_id": userID, "user_hash": userHash])
        return try JSONDecoder().decode(Answer.self, from: try await control("POST", "/verify-user-hash", body).body)
            .valid
    }

    /// Queues faults, given as the control API's JSON objects.
    public func queueFaults(_ faults: [String]) async throws {
        _ = try await control("POST", "/faults", Data("{\"faults\": [\(faults.joined(separator: ","))]}".utf8))
    }

    /// Makes the API hang up on every connection (false) or serve again (true).
    public func setReachable(_ reachable: Bool) async throws {
        _ = try await control("POST", "/reachable", Data("{\"reachable\": \(reachable)}".utf8))
    }

    /// Makes a secret as Intercom's dashboard would.
    public func createInDashboard(name: String) async throws -> Secret {
        let body = Data("{\"name\": \"\(name)\", \"supports_web\": true}".utf8)
        return try JSONDecoder().decode(Secret.self, from: try await control("POST", "/secrets", body).body)
    }

    /// One request to the control API (HTTP/1.0, so the answer ends with the connection), off the cooperative pool.
    public func control(
        _ method: String,
        _ path: String,
        _ body: Data = Data()
    ) async throws -> (
        status: Int, body: Data
    ) {
        let port = controlPort
        return try await onOwnThread { try Self.exchange(port: port, method: method, path: path, body: body) }
    }

    private static func exchange(port: Int, method: String, path: String, body: Data) throws -> (Int, Data) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw StandInError.io("socket", errno) }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw StandInError.io("connect", errno) }
        var request = Data(
            "\(method) \(path) HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8
        )
        request.append(body)
        try request.withUnsafeBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let count = send(descriptor, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                guard count > 0 else { throw StandInError.io("send", errno) }
                sent += count
            }
        }
        var answer = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count >= 0 else { throw StandInError.io("recv", errno) }
            if count == 0 { break }
            answer.append(contentsOf: buffer[0..<count])
        }
        guard let split = answer.range(of: Data("\r\n\r\n".utf8)),
            let statusLine = String(data: answer[..<split.lowerBound], encoding: .utf8)?.split(separator: " "),
            statusLine.count >= 2, let status = Int(statusLine[1])
        else { throw StandInError.badAnswer(String(decoding: answer, as: UTF8.self)) }
        return (status, Data(answer[split.upperBound...]))
    }
}

/// Why the stand-in could not be used.
public enum StandInError: Error, CustomStringConvertible {
    case notStarted(String)
    case io(String, Int32)
    case badAnswer(String)

    public var description: String {
        switch self {
        case .notStarted(let log): "the Intercom stand-in did not start: \(log)"
        case .io(let call, let error): "\(call) to the stand-in failed: \(String(cString: strerror(error)))"
        case .badAnswer(let text): "the stand-in answered \(text.prefix(200))"
        }
    }
}

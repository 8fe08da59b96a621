import AsyncHTTPClient
import NIOCore
import NIOPosix
import NIOSSL

/// The agent's HTTP clients: one per set of trusted certificate authorities (the system's, or a `ca_file`), each
/// verifying the server's certificate and name, kept for the agent's life so connections are reused.
actor HTTPClients {
    private var clients: [String: HTTPClient] = [:]

    /// The client that trusts `caFile`'s authorities (nil: the system's trust store).
    func client(caFile: String?) throws(ProviderCallError) -> HTTPClient {
        let key = caFile ?? ""
        if let client = clients[key] { return client }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let caFile { tls.trustRoots = .file(caFile) }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(30))
        configuration.decompression = .disabled
        let client = HTTPClient(
            eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
            configuration: configuration
        )
        clients[key] = client
        return client
    }

    func shutdown() async {
        for client in clients.values { try? await client.shutdown() }
        clients = [:]
    }
}

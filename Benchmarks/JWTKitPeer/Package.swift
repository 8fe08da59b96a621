// swift-tools-version:6.2
import PackageDescription

// vapor/jwt-kit as the peer keyrot-bench measures keyrotd against, kept out of the product's build.
let package = Package(
    name: "JWTKitPeer",
    platforms: [.macOS(.v15)],
    dependencies: [.package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1")],
    targets: [
        .executableTarget(name: "jwtkit-bench", dependencies: [.product(name: "JWTKit", package: "jwt-kit")])
    ]
)

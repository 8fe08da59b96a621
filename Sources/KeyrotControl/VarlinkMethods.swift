/// The typed calls of one varlink interface: one case per method, carrying its decoded parameters.
///
/// A call is decoded once, straight from the message, into this type; the service switches over it.
public protocol VarlinkMethods: Sendable {
    /// Decodes the call of method `name` (without its interface) from `parameters` (an empty object when the call
    /// has none).
    ///
    /// - Throws: ``VarlinkError/methodNotFound(_:)`` for a method the interface does not have; a `DecodingError`
    ///   for parameters that do not fit (the server names the parameter in `InvalidParameter`).
    init(method name: String, parameters: any Decoder) throws
}

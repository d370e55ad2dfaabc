namespace CertLibrary.Signing;

/// <summary>A signer ready for JWS: the JOSE <c>alg</c>, the <c>kid</c> to put in the protected header, and the key.</summary>
/// <param name="Algorithm">JOSE <c>alg</c>.</param>
/// <param name="KeyId">JOSE <c>kid</c>.</param>
/// <param name="Signer">The private key.</param>
public sealed record JwsSigner(string Algorithm, string KeyId, ISigner Signer);
